"""What comes from outside: OpenRouter's Data API (``fetch``, which writes a snapshot through the
contract), and a representative snapshot's sourced anchors and assumed knots as read (``inputs``,
``facts``), and raw measurement files turned into anchors (``measured``, ``python -m
tokenrace sources import``). It may import only :mod:`tokenrace.snapshot`.
"""
