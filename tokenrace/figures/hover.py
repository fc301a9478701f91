"""Values on hover: data marks that name their series, week or model, and value with its unit.

A chart adds invisible marks over its data (:func:`marks`, or :func:`lines` and :func:`stack` for
weekly series); :func:`titled_svg` gives each mark a ``<title>`` in the figure's SVG, which
Chromium shows as a tooltip on hover and screen readers read as the mark's name
(``role="img"``). In the book the SVG is inlined into the page (:func:`inline_svgs`, called by
``_ext/tokenrace_book.py``): titles do not show in an SVG drawn by an ``<img>`` tag.

Every id of a figure's SVG is prefixed with the figure's name, so several charts inlined in one
page (or in the single-page PDF edition) never share an id.
"""

from __future__ import annotations

import base64
import html
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the build extension imports this module: pandas is not loaded for it
    import pandas as pd

#: Prefix of the ``gid`` of the hover marks' collections in a figure's SVG.
GID = "hover-"
#: Diameter of a hover mark, in points (about 11 px at 100 % zoom).
SIZE = 8.0
_FIGURE_MARKS = "_tokenrace_hover"


def trillions(value: float) -> str:
    """``7.0 T tokens`` (two decimals under one trillion: ``0.47 T tokens``)."""
    return f"{value:.2f} T tokens" if abs(value) < 1 else f"{value:.1f} T tokens"


def percent(value: float) -> str:
    """``41.2 % of tokens``."""
    return f"{value:.1f} % of tokens"


def marks(ax, x: Sequence, y: Sequence[float], texts: Iterable[str], size: float = SIZE) -> None:
    """Invisible marks at ``(x, y)`` in data units of ``ax``, one per text, on top of the chart.

    Call it last, once the axes' limits and scales are set: the marks never change them. A mark
    matplotlib would not draw (a missing or infinite value, or one at or below zero on a log
    axis) is refused with a ValueError naming it: the chart must leave that value out, and say
    so in its caption, so that its hover marks are exactly the marks it draws.
    """
    texts = [" ".join(str(t).split()) for t in texts]
    if len(texts) != len(x) or len(texts) != len(y):
        raise ValueError(f"{len(texts)} hover texts for {len(x)} x and {len(y)} y values")
    _refuse_undrawable(ax, x, y, texts)
    if not texts:
        return
    fig = ax.figure
    registry: list[list[str]] = fig.__dict__.setdefault(_FIGURE_MARKS, [])
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    ax.scatter(
        x,
        y,
        s=size**2,
        color=(0, 0, 0, 0),
        edgecolors="none",
        gid=f"{GID}{len(registry)}",
        zorder=20,
        clip_on=False,
        label="_nolegend_",
    )
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    registry.append(texts)


def _refuse_undrawable(ax, x: Sequence, y: Sequence, texts: list[str]) -> None:
    """Raise ValueError for the first numeric coordinate the axes cannot place (dates and
    category labels are left to matplotlib)."""
    for name, values, scale in (("x", x, ax.get_xscale()), ("y", y, ax.get_yscale())):
        for value, text in zip(values, texts, strict=True):
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                continue
            number = float(value)
            if not math.isfinite(number) or (scale == "log" and number <= 0):
                where = "on a log axis" if math.isfinite(number) else "as a value"
                raise ValueError(
                    f"hover mark {text!r} cannot be drawn: {name} = {number} has no place "
                    f"{where}; leave it out of the chart and name it in the caption"
                )


def lines(ax, frame: pd.DataFrame, value_text, size: float = SIZE) -> None:
    """Hover marks on weekly lines: one per week (index) and column, at the line's value.

    ``value_text(value)`` writes a value with its unit, e.g. ``7.0 T tokens``; missing values get
    no mark.
    """
    from tokenrace.snapshot.dates import week_label

    for column in frame.columns:
        series = frame[column].dropna()
        marks(
            ax,
            list(series.index),
            [float(v) for v in series],
            [f"{column} · {week_label(w)} · {value_text(float(v))}" for w, v in series.items()],
            size,
        )


def stack(ax, frame: pd.DataFrame, value_text, size: float = SIZE) -> None:
    """Hover marks on a stacked area (columns stacked in order): one per week and band, in the
    middle of the band."""
    from tokenrace.snapshot.dates import week_label

    tops = frame.fillna(0.0).cumsum(axis=1)
    for column in frame.columns:
        values = frame[column].fillna(0.0)
        middles = tops[column] - values / 2
        marks(
            ax,
            list(frame.index),
            [float(v) for v in middles],
            [f"{column} · {week_label(w)} · {value_text(float(v))}" for w, v in values.items()],
            size,
        )


def hover_texts(fig) -> list[list[str]]:
    """The hover texts registered on a figure, one list per collection of marks."""
    return list(fig.__dict__.get(_FIGURE_MARKS, []))


_GROUP_OPEN = re.compile(r'<g id="' + GID + r'(\d+)">')
_TAG = re.compile(r"<(/?)g\b[^>]*?(/?)>")
_MARK = re.compile(r"<(use|path)\b([^>]*?)\s*/>")


def _group_end(svg: str, start: int) -> int:
    """The index just after the ``</g>`` closing the ``<g>`` that opens at ``start``."""
    depth = 0
    for tag in _TAG.finditer(svg, start):
        if tag.group(2):
            continue
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.end()
    raise ValueError("unbalanced <g> in SVG")


def titled_svg(svg: str, texts: list[list[str]], prefix: str) -> str:
    """``svg`` with a ``<title>`` and ``role="img"`` on every hover mark, and every id prefixed
    with ``prefix`` (a figure name); the root gets the id ``<prefix>-svg``.

    Raises ValueError when a collection has not exactly one mark per text.
    """
    out, pos = [], 0
    for match in _GROUP_OPEN.finditer(svg):
        if match.start() < pos:
            continue
        end = _group_end(svg, match.start())
        block = svg[match.start() : end]
        body = block.split("</defs>", 1)[-1]
        head = block[: len(block) - len(body)]
        wanted = texts[int(match.group(1))]
        found = _MARK.findall(body)
        if len(found) != len(wanted):
            raise ValueError(f"{len(found)} marks drawn for {len(wanted)} hover texts")
        it = iter(wanted)
        body = _MARK.sub(
            lambda m, it=it: (
                f'<{m.group(1)}{m.group(2)} pointer-events="all" role="img">'
                f"<title>{html.escape(next(it), quote=False)}</title></{m.group(1)}>"
            ),
            body,
        )
        out += [svg[pos : match.start()], head, body]
        pos = end
    out.append(svg[pos:])
    text = "".join(out)
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    text = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{prefix}-\1"', text)
    # matplotlib's style sheet ("*{stroke-linejoin: ...}") is scoped to this figure.
    text = text.replace("*{", f"#{prefix}-svg *{{")
    return text.replace("<svg ", f'<svg id="{prefix}-svg" ', 1)


_IMG = re.compile(r"<img\b([^>]*?)/?>")
_ATTR = re.compile(r'([\w:-]+)="([^"]*)"')
_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def inline_svgs(body: str) -> str:
    """An HTML body with every ``<img>`` of a base64 SVG data URI replaced by the SVG itself.

    The image's alt text becomes the SVG's accessible name (``role="group"``, ``aria-label``),
    so the chart is announced as before and its titled marks can be read one by one.
    """

    def replace(match: re.Match) -> str:
        attrs = dict(_ATTR.findall(match.group(1)))
        src = attrs.get("src", "")
        if not src.startswith("data:image/svg+xml;base64,"):
            return match.group(0)
        svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
        svg = _METADATA.sub("", _PROLOGUE.sub("", svg, count=1), count=1).strip()
        alt = attrs.get("alt", "")
        classes = " ".join(["chart", *attrs.get("class", "").split()])
        return svg.replace("<svg ", f'<svg class="{classes}" role="group" aria-label="{alt}" ', 1)

    return _IMG.sub(replace, body)
