"""The claims: the register that measures each (``register``), the evidence behind each verdict
(``evidence``), and the report that shows them in a chapter (``reporting``), in that order upward.
It may import every stage below it: snapshot, sources, analysis, reconstruct.

A chapter calls :func:`evaluate`, :func:`result` and :func:`report` (and reads
:data:`MONTH_WEEKS`) from this package; they are the register's and the report's own, imported
when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenrace.claims.register import MONTH_WEEKS, evaluate, result
    from tokenrace.claims.reporting import report

#: What a chapter uses, and the module that defines it.
_CHAPTER_NAMES = {
    "MONTH_WEEKS": "register",
    "evaluate": "register",
    "result": "register",
    "report": "reporting",
}


def __getattr__(name: str):
    """Import the register and the report only when a chapter uses them."""
    if name in _CHAPTER_NAMES:
        from tokenrace.claims import register, reporting

        return getattr({"register": register, "reporting": reporting}[_CHAPTER_NAMES[name]], name)
    raise AttributeError(f"module 'tokenrace.claims' has no attribute {name!r}")


__all__ = ["MONTH_WEEKS", "evaluate", "report", "result"]
