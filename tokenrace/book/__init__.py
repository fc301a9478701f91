"""What only the book needs: the values of the prose (``prose``), the data chapter
(``data_chapter``), the PDF edition (``edition``), the citation (``citation``) and the build's
facts (``build_facts``). It may import every stage below it; only cli, diff and refresh are above.
"""
