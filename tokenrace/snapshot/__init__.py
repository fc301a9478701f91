"""The snapshot: the data contract, the files of a snapshot folder, which folder is in use, and
loading and validating it (``load``). The floor every other stage stands on: it imports no other
stage of ``tokenrace``, and only ``load``, ``read``, ``contract`` and ``reconstructed`` import
pandas (the rest is fast).
"""
