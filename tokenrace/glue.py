"""Glue values into the book without importing myst-nb.

``myst_nb.glue`` imports nbformat, whose JSON-schema stack takes seconds to import; that cost was
most of each chapter's run time. This function writes the same display output that
``myst_nb.glue(name, value, display=False)`` writes (a mime bundle under the
``application/papermill.record/`` prefix with ``scrapbook`` metadata), which the book's
``{glue:text}`` roles read. A test checks the two stay identical.
"""

from __future__ import annotations

from typing import Any

#: The mime-type prefix of glued, hidden outputs (myst_nb.ext.glue.GLUE_PREFIX).
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, value: Any, display: bool = False) -> None:
    """Glue ``value`` under ``name`` for ``{glue:text}`name``` roles in the page.

    Glue plain Python values (``float``, ``int``, ``str``): NumPy scalars break ``{glue:text}``
    format specs.
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    bundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)
