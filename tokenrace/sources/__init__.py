"""What comes from outside: OpenRouter's Data API (``fetch``, which writes a snapshot through the
contract), and a representative snapshot's sourced anchors and assumed knots as read (``inputs``,
``facts``). It may import only :mod:`tokenrace.snapshot`.
"""
