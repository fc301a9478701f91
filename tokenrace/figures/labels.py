"""Name points of a scatter chart without covering any marker or another name.

Each label is tried at a ring of positions around its point, nearest first. A position is taken
when the label's box, measured with the figure's renderer, clears every marker of the axes (a disc
the size of the marker, plus a small gap), every label already placed, and the edges of the axes.
A leader line joins a label to its point. Leader lines are kept off other names too. When no
position is free, the least bad one is used (a covered marker or name counts three times a
crossed leader line), so a crowded chart still names every point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from tokenrace.figures import charts

#: Distances from the point to the label's near edge, in points, tried nearest first.
RINGS = (8.0, 16.0, 28.0, 42.0, 60.0, 80.0, 105.0, 135.0)
#: Directions tried on each ring, in degrees (0 is to the right), most readable first.
ANGLES = (0, 180, 30, 150, -30, -150, 60, 120, -60, -120, 90, -90)
#: Clear space kept around markers and between labels, in points.
GAP = 4.0


@dataclass(frozen=True)
class Label:
    """A name for one point: its text, where the point is (data units), and its font weight."""

    text: str
    x: float
    y: float
    bold: bool = False


def marker_discs(ax: Axes) -> list[tuple[float, float, float]]:
    """Every visible scatter marker of ``ax`` as (x, y, radius) in display pixels.

    Invisible marks (fully transparent, such as the hover marks of :mod:`tokenrace.figures.hover`)
    are left out: a name may lie over them.
    """
    discs = []
    scale = ax.figure.dpi / 72.0
    for collection in ax.collections:
        if not isinstance(collection, PathCollection) or not _visible(collection):
            continue
        offsets = collection.get_offset_transform().transform(collection.get_offsets())
        sizes = np.broadcast_to(collection.get_sizes(), (len(offsets),))
        for (x, y), size in zip(offsets, sizes, strict=True):
            discs.append((float(x), float(y), math.sqrt(float(size)) / 2 * scale))
    return discs


def _visible(collection: PathCollection) -> bool:
    colours = [*collection.get_facecolors(), *collection.get_edgecolors()]
    return collection.get_visible() and any(len(c) == 4 and c[3] > 0 for c in colours)


def covers(box: Bbox, disc: tuple[float, float, float], gap: float) -> bool:
    """True when the box comes within ``gap`` pixels of the disc."""
    x, y, radius = disc
    nearest_x = min(max(x, box.x0), box.x1)
    nearest_y = min(max(y, box.y0), box.y1)
    return math.hypot(x - nearest_x, y - nearest_y) < radius + gap


def text_box(note: Annotation, renderer) -> Bbox:
    """The box of an annotation's text alone, in display pixels (its leader line left out)."""
    note.get_window_extent(renderer)  # places the text for this renderer
    return Text.get_window_extent(note, renderer)


def leader(
    point: tuple[float, float], box: Bbox
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The leader line from a point to the nearest point of its label's box (display pixels)."""
    x, y = point
    return point, (min(max(x, box.x0), box.x1), min(max(y, box.y0), box.y1))


def crosses(line: tuple[tuple[float, float], tuple[float, float]], box: Bbox) -> bool:
    """True when the line segment passes through the inside of ``box`` (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = line
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for p, q in ((-dx, x0 - box.x0), (dx, box.x1 - x0), (-dy, y0 - box.y0), (dy, box.y1 - y0)):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low >= high:
            return False
    return True


def passes_over(line, disc: tuple[float, float, float], own: tuple[float, float]) -> bool:
    """True when a leader line passes over a marker other than the one at ``own``."""
    (x0, y0), (x1, y1) = line
    x, y, radius = disc
    if math.hypot(x - own[0], y - own[1]) < 0.5:
        return False
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy or 1.0
    t = min(1.0, max(0.0, ((x - x0) * dx + (y - y0) * dy) / length2))
    return math.hypot(x - (x0 + t * dx), y - (y0 + t * dy)) < radius


def lines_cross(a, b) -> bool:
    """True when two line segments ((x, y), (x, y)) cross each other."""

    def side(p, q, r) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    (p1, p2), (q1, q2) = a, b
    return side(p1, p2, q1) * side(p1, p2, q2) < 0 and side(q1, q2, p1) * side(q1, q2, p2) < 0


def inside(box: Bbox, frame: Bbox) -> bool:
    """True when ``box`` lies wholly within ``frame``."""
    return frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


def _alignment(angle: float) -> tuple[str, str]:
    dx, dy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    ha = "left" if dx > 0.3 else "right" if dx < -0.3 else "center"
    va = "bottom" if dy > 0.3 else "top" if dy < -0.3 else "center"
    return ha, va


Candidate = tuple[tuple[float, float], str, str, Bbox]  # offset (points), ha, va, text box


def _candidates(ax: Axes, label: Label, renderer, fontsize: float) -> list[Candidate]:
    """Every position tried for ``label``, nearest first, with the box its text would fill.

    The text is measured once; each position's box is that size, aligned at the position.
    """
    note = _annotate(ax, label, (0.0, 0.0), "left", "bottom", fontsize)
    size = text_box(note, renderer)
    note.remove()
    width, height = size.width, size.height
    px, py = ax.transData.transform((label.x, label.y))
    scale = ax.figure.dpi / 72.0
    shift_x = {"left": 0.0, "center": width / 2, "right": width}
    shift_y = {"bottom": 0.0, "center": height / 2, "top": height}
    found = []
    for ring in RINGS:
        for angle in ANGLES:
            ha, va = _alignment(angle)
            offset = (ring * math.cos(math.radians(angle)), ring * math.sin(math.radians(angle)))
            x0 = px + offset[0] * scale - shift_x[ha]
            y0 = py + offset[1] * scale - shift_y[va]
            found.append((offset, ha, va, Bbox.from_bounds(x0, y0, width, height)))
    return found


def _annotate(ax: Axes, label: Label, offset, ha: str, va: str, fontsize: float) -> Annotation:
    return ax.annotate(
        label.text,
        xy=(label.x, label.y),
        xytext=offset,
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=fontsize,
        fontweight="bold" if label.bold else "normal",
        arrowprops={"arrowstyle": "-", "color": charts.MUTED, "linewidth": 0.7},
    )


def _fixed_cost(point, box: Bbox, discs, frame: Bbox, gap: float) -> int:
    """The cost of a position that does not depend on the other labels: the markers its box
    covers (three each), the markers its leader line passes over, and leaving the axes."""
    cost = 3 * sum(covers(box, disc, gap) for disc in discs)
    line = leader(point, box)
    cost += sum(passes_over(line, disc, point) for disc in discs)
    return cost + (0 if inside(box, frame) else 100)


def _greedy(order, points, candidates, fixed, gap) -> tuple[int, dict[int, int]]:
    """Place labels in ``order``, each at its least bad free position; (total cost, choices).

    ``fixed`` holds each position's cost that the other labels do not change
    (:func:`_fixed_cost`, keyed by label and position), shared by every order tried.
    """
    taken: list[Bbox] = []
    lines: list[tuple[tuple[float, float], tuple[float, float]]] = []
    chosen, total = {}, 0
    for i in order:
        best = None
        for k, (_offset, _ha, _va, box) in enumerate(candidates[i]):
            cost = fixed(i, k)
            if best is not None and cost >= best[0]:
                continue  # the other labels only add to it: it cannot beat the best
            # A covered marker or name costs more than a leader line across a name.
            cost += 3 * sum(box.padded(gap).overlaps(other) for other in taken)
            cost += sum(crosses(line, box.padded(gap)) for line in lines)
            line = leader(points[i], box)
            cost += sum(crosses(line, other) for other in taken)
            cost += sum(lines_cross(line, other) for other in lines)
            if best is None or cost < best[0]:
                best = (cost, k)
            if cost == 0:
                break
        assert best is not None
        chosen[i], total = best[1], total + best[0]
        box = candidates[i][best[1]][3]
        taken.append(box)
        lines.append(leader(points[i], box))
    return total, chosen


def place(ax: Axes, labels: list[Label], *, fontsize: float = 11.0) -> list[Annotation]:
    """Annotate ``ax`` with ``labels``; returns the annotations, in the order given.

    Call it after the layout, scales and limits are final: positions are measured on screen.
    The labels are placed one by one in a few orders (as given, reversed, right to left, left to
    right, top to bottom), and the order with the least total cost wins; ties go to the first.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    gap = GAP * fig.dpi / 72.0
    discs = marker_discs(ax)
    frame = ax.get_window_extent(renderer)
    points = [tuple(ax.transData.transform((label.x, label.y))) for label in labels]
    candidates = [_candidates(ax, label, renderer, fontsize) for label in labels]
    given = list(range(len(labels)))
    orders = [
        given,
        given[::-1],
        sorted(given, key=lambda i: -points[i][0]),
        sorted(given, key=lambda i: points[i][0]),
        sorted(given, key=lambda i: -points[i][1]),
    ]
    known: dict[tuple[int, int], int] = {}

    def fixed(i: int, k: int) -> int:
        if (i, k) not in known:
            known[i, k] = _fixed_cost(points[i], candidates[i][k][3], discs, frame, gap)
        return known[i, k]

    tries = [_greedy(order, points, candidates, fixed, gap) for order in orders]
    _total, chosen = min(tries, key=lambda t: t[0])
    placed = []
    for i, label in enumerate(labels):
        offset, ha, va, _box = candidates[i][chosen[i]]
        placed.append(_annotate(ax, label, offset, ha, va, fontsize))
    return placed


def overlaps(ax: Axes, notes: list[Annotation]) -> list[str]:
    """What each annotation covers, as sentences (empty when every label stands clear).

    Used by the tests: a label over a marker, over another label, or outside the axes.
    """
    renderer = ax.figure.canvas.get_renderer()
    discs = marker_discs(ax)
    frame = ax.get_window_extent(renderer)
    boxes = [text_box(note, renderer) for note in notes]
    found = []
    for note, box in zip(notes, boxes, strict=True):
        for x, y, radius in discs:
            if covers(box, (x, y, radius), 0.0):
                found.append(f"{note.get_text()!r} covers the marker at ({x:.0f}, {y:.0f}) px")
        if not inside(box, frame):
            found.append(f"{note.get_text()!r} leaves the axes")
    for i, box in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            if box.overlaps(boxes[j]):
                found.append(f"{notes[i].get_text()!r} overlaps {notes[j].get_text()!r}")
    return found
