"""Figures for teaching: the network with one parameter's paths to E, and the finite-difference step sweep.

Matplotlib is an optional extra (``pip install symbackprop[notebooks]``) and is imported only when a
figure is drawn. What a figure shows is computed first as plain data (``unit_edges``, ``path_edges``,
``sweep_slopes``), so the tests check the data and the drawing only lays it out.

A unit is (layer, i) in our numbering, layer 0 the inputs; ``E`` is the error. Samples share the
units: a path through sample 2 highlights the same edges as one through sample 1.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import cast

import numpy as np

from .explain import Explanation
from .printing import Printer, Quantity, quantity_of, tex_to_text

Unit = tuple[int, int] | str          # (layer, i), or "E"


def unit_edges(sizes: tuple[int, ...]) -> list[tuple[Unit, Unit]]:
    """Every edge of the network's graph, unit to unit, then each output to E."""
    edges = [((l - 1, j), (l, i)) for l in range(1, len(sizes)) for i in range(1, sizes[l] + 1)
             for j in range(1, sizes[l - 1] + 1)]
    return edges + [((len(sizes) - 1, i), "E") for i in range(1, sizes[-1] + 1)]


def _unit(name: str) -> tuple[str, tuple[int, int]] | None:
    q = quantity_of(name)
    if q is None or q.kind not in ("W", "b", "Z", "A"):
        return None
    assert isinstance(q.layer, int)                  # quantity_of numbers these layers
    if q.kind == "W":
        return "W", (q.layer, q.units[0])
    return q.kind, (q.layer, q.units[0])


def path_edges(x: Explanation) -> Counter:
    """How many of the parameter's paths to E run along each unit edge (the parameter's own edge first)."""
    count: Counter = Counter()
    for path in x.paths:
        if len(path.nodes) == 1:                     # weight decay: the weight is in E itself, no unit edge
            continue
        units: list[Unit] = []
        for node in path.nodes:
            kind, unit = cast(tuple[str, tuple[int, int]], _unit(node.name))     # a path's nodes are all units
            if kind == "W":                          # W^l_ij is the edge from unit (l-1, j) to unit (l, i)
                j = cast(Quantity, quantity_of(node.name)).units[1]
                units.append((unit[0] - 1, j))
            units.append(unit)
        units = [u for k, u in enumerate(units) if k == 0 or u != units[k - 1]]   # Z and A are one unit
        units.append("E")
        count.update(zip(units, units[1:], strict=False))
    return count


def positions(sizes: tuple[int, ...]) -> dict[Unit, tuple[float, float]]:
    """Layers left to right, each layer's units centred on 0 from the top, E on the right."""
    out: dict[Unit, tuple[float, float]] = {(l, i): (float(l), (n + 1) / 2 - i)
                                            for l, n in enumerate(sizes) for i in range(1, n + 1)}
    out["E"] = (float(len(sizes)), 0.0)
    return out


def unit_label(printer: Printer, unit: Unit) -> str:
    """A unit as the notation writes its activation (x_j for the inputs), for matplotlib's mathtext."""
    if unit == "E":
        return "$" + printer.glyphs.error + "$"
    layer, i = unit
    glyph = printer.glyph(Quantity("A", layer, (i,), None), printer.latex)
    return "$" + glyph.replace(r"\left", "").replace(r"\right", "") + "$"


def draw_paths(x: Explanation, ax=None):
    """The network, with every path from the parameter to E drawn bold (the number on each edge is how
    many paths use it, over all samples). Returns the matplotlib Axes."""
    import matplotlib.pyplot as plt

    sizes = x.d.net.sizes
    ax = ax if ax is not None else plt.subplots(figsize=(1.6 * len(sizes) + 2, 0.9 * max(sizes) + 1.5))[1]
    where, used = positions(sizes), path_edges(x)
    for u, v in unit_edges(sizes):
        (x0, y0), (x1, y1) = where[u], where[v]
        on = (u, v) in used
        ax.plot([x0, x1], [y0, y1], color="C3" if on else "0.8", linewidth=2.5 if on else 0.8, zorder=2 if on else 1,
                gid="path" if on else "edge")
        if on and used[(u, v)] > 1:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, str(used[(u, v)]), color="C3", fontsize=8, ha="center",
                    va="bottom", zorder=4)
    for unit, (ux, uy) in where.items():
        ax.scatter([ux], [uy], s=900, color="white", edgecolors="0.3", zorder=3)
        ax.text(ux, uy, unit_label(x.printer, unit), ha="center", va="center", fontsize=10, zorder=4)
    ax.set_title("$" + x.printer.latex(x.v) + "$: " + f"{len(x.paths)} paths to " + "$" + x.printer.glyphs.error
                 + "$")
    ax.margins(x=0.08, y=0.18)                       # room for the units' circles at the edges
    ax.set_axis_off()
    return ax


def sweep_slopes(sweep: list[tuple[float, float]]) -> tuple[float, float]:
    """The log-log slope of the error against h on the largest three steps (truncation: 2 for central
    differences) and on the smallest three (round-off: about −1)."""
    h, e = (np.log10([pair[k] for pair in sorted(sweep)]) for k in (0, 1))
    small = np.polyfit(h[:3], e[:3], 1)[0]
    large = np.polyfit(h[-3:], e[-3:], 1)[0]
    return float(large), float(small)


def plot_step_sweep(sweep: list[tuple[float, float]], ax=None):
    """Central differences' largest error against the step h, log-log, with the h² truncation and the
    ε/h round-off lines that bound it (gradcheck's ``report.sweep``). Returns the matplotlib Axes."""
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.subplots(figsize=(6, 4))[1]
    h = np.array([pair[0] for pair in sweep])
    e = np.array([max(pair[1], 1e-300) for pair in sweep])
    ax.loglog(h, e, "o-", color="C0", label="largest |central difference − symbolic|")
    best = int(np.argmin(e))
    truncation = e[0] * (h / h[0]) ** 2
    roundoff = e[-1] * h[-1] / h
    ax.loglog(h, truncation, "--", color="C1", label="$h^2$: truncation")
    ax.loglog(h, roundoff, ":", color="C2", label=r"$\varepsilon/h$: round-off")
    ax.annotate(f"best h ≈ 1e{round(math.log10(h[best]))}", (h[best], e[best]), textcoords="offset points",
                xytext=(0, -18), ha="center")
    ax.set_ylim(e.min() / 10, e.max() * 10)
    ax.set_xlabel("step h")
    ax.set_ylabel("error")
    ax.legend(fontsize=8)
    return ax


# --- the network drawn for the documents: LaTeX's picture environment (no TikZ needed) and SVG ---------------

MAX_DRAWN_WIDTH, MAX_DRAWN_LAYERS, MAX_DRAWN_PATHS = 8, 6, 4096     # past these a figure would not be read
STEP_X, STEP_Y, RADIUS, MARGIN = 84.0, 36.0, 10.0, 16.0              # in points: layers apart, units apart, a unit


def picture(x: Explanation) -> dict:
    """The network with the parameter's paths to E marked, as coordinates in points (origin bottom left): each
    edge shortened to end at the units' circles, ``on`` where a path runs along it and ``count`` paths do; each
    unit with its label (LaTeX and Unicode). ``absent`` says why there is no figure for a network too big."""
    sizes = x.d.net.sizes
    if max(sizes) > MAX_DRAWN_WIDTH or len(sizes) > MAX_DRAWN_LAYERS or x.path_count > MAX_DRAWN_PATHS:
        return {"absent": f"the network is drawn up to {MAX_DRAWN_WIDTH} units a layer, {MAX_DRAWN_LAYERS} layers "
                          f"and {MAX_DRAWN_PATHS:,} paths"}
    where, used = positions(sizes), path_edges(x)
    drawn = x.path_count - int(x.v in x.d.chain.error_symbols)          # the decay term's path is not drawn
    # the samples share the units, and each has the same paths: the figure counts one sample's (review 7: "4 paths"
    # on one drawn path read as four networks)
    samples = x.d.net.batch if drawn % x.d.net.batch == 0 and all(c % x.d.net.batch == 0 for c in used.values()) \
        else 1
    used = Counter({edge: count // samples for edge, count in used.items()})
    bottom = min(y for _, y in where.values())
    top = max(y for _, y in where.values())

    def at(unit: Unit) -> tuple[float, float]:
        ux, uy = where[unit]
        return MARGIN + STEP_X * ux, MARGIN + STEP_Y * (uy - bottom)

    edges = []
    for u, v in unit_edges(sizes):
        (x0, y0), (x1, y1) = at(u), at(v)
        length = math.hypot(x1 - x0, y1 - y0)
        dx, dy = RADIUS * (x1 - x0) / length, RADIUS * (y1 - y0) / length
        edges.append({"x0": round(x0 + dx, 1), "y0": round(y0 + dy, 1), "x1": round(x1 - dx, 1),
                      "y1": round(y1 - dy, 1), "mx": round((x0 + x1) / 2, 1), "my": round((y0 + y1) / 2, 1),
                      "on": (u, v) in used, "count": used.get((u, v), 0)})
    units = []
    for unit in where:
        ux, uy = at(unit)
        label = unit_label(x.printer, unit)[1:-1]
        units.append({"x": round(ux, 1), "y": round(uy, 1), "label": label, "text": tex_to_text(label)})
    return {"absent": "", "width": round(2 * MARGIN + STEP_X * (len(sizes)), 1),
            "height": round(2 * MARGIN + STEP_Y * (top - bottom), 1), "radius": RADIUS, "diameter": 2 * RADIUS,
            "edges": edges, "units": units, "parameter": x.printer.latex(x.v), "parameter_text": x.printer.text(x.v),
            "paths": x.path_count, "direct": int(x.v in x.d.chain.error_symbols),   # the decay term's, not drawn
            "drawn": drawn // samples, "samples": samples,                       # paths in one sample, where counted so
            "numbered": any(e["count"] > 1 for e in edges),                    # an edge carries its path count
            # a softmax output: a path from Z^L_i through A^L_k (k ≠ i) runs between two output units, not drawn
            "coupled": bool(set(used) - set(unit_edges(sizes)))}


def svg(figure: dict) -> str:
    """The same figure as a standalone SVG image (for the Markdown document), written as plain text."""
    height = figure["height"] + 12

    def y(value: float) -> float:
        return round(height - value, 1)

    lines = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{figure["width"]}" height="{height}" '
             f'viewBox="0 0 {figure["width"]} {height}" font-family="serif" font-size="9">',
             f'<title>The network; the paths from {_xml(figure["parameter_text"])} to E are drawn bold</title>',
             f'<rect width="{figure["width"]}" height="{height}" fill="white"/>']
    for e in sorted(figure["edges"], key=lambda e: e["on"]):
        style = 'stroke="#c0392b" stroke-width="2.4"' if e["on"] else 'stroke="#b0b0b0" stroke-width="0.8"'
        lines.append(f'<line x1="{e["x0"]}" y1="{y(e["y0"])}" x2="{e["x1"]}" y2="{y(e["y1"])}" {style}/>')
        if e["count"] > 1:
            lines.append(f'<text x="{e["mx"]}" y="{y(e["my"]) - 3}" fill="#c0392b" text-anchor="middle">'
                         f'{e["count"]}</text>')
    for u in figure["units"]:
        lines.append(f'<circle cx="{u["x"]}" cy="{y(u["y"])}" r="{figure["radius"]}" fill="white" stroke="#404040"/>')
        lines.append(f'<text x="{u["x"]}" y="{y(u["y"]) + 3}" text-anchor="middle">{_xml(u["text"])}</text>')
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
