"""Reading a snapshot: re-cuts by lab and origin (``recut``), prices (``prices``), the array view
of one snapshot or many draws (``cube``) and the claims' measures on it (``measures``). It may
import only :mod:`tokenrace.snapshot`.
"""
