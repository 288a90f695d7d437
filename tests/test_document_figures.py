"""The derivation document's figures: the network with the worked parameter's paths (LaTeX picture and SVG, drawn
from figures.path_edges), and one unit's local picture, upstream gradient × local derivative, in numbers."""
import math
import xml.etree.ElementTree as ET

import pytest
from helpers import require_latex

from symbackprop import Network, derive, explain
from symbackprop.model.notations import notation
from symbackprop.writeup.document import render, write
from symbackprop.writeup.figures import RADIUS, path_edges, picture, positions, svg, unit_edges
from symbackprop.writeup.numbers import compute, context
from symbackprop.writeup.pdf import pdf_text
from symbackprop.writeup.printing import Printer

DEEP = Network(sizes=(2, 3, 3, 1), activations="sigmoid", loss="mse", batch=1)


def test_the_picture_marks_exactly_the_paths_edges():
    x = explain(derive(DEEP), "W1[2,1]")
    fig = picture(x)
    used = path_edges(x)
    assert len(fig["edges"]) == len(unit_edges(DEEP.sizes))
    assert sum(e["on"] for e in fig["edges"]) == len(used) == 8
    assert sorted(e["count"] for e in fig["edges"] if e["on"]) == sorted(used.values())
    assert fig["paths"] == 3 and fig["parameter"] == "W^{1}_{21}"
    centres = {(u["x"], u["y"]) for u in fig["units"]}
    assert len(centres) == len(positions(DEEP.sizes))
    for e in fig["edges"]:              # each edge ends on the circles of the units it joins
        assert 0 <= min(e["x0"], e["x1"]) and max(e["x0"], e["x1"]) <= fig["width"]
        assert 0 <= min(e["y0"], e["y1"]) and max(e["y0"], e["y1"]) <= fig["height"]
        for px, py in ((e["x0"], e["y0"]), (e["x1"], e["y1"])):
            assert min(math.hypot(px - cx, py - cy) for cx, cy in centres) == pytest.approx(RADIUS, abs=0.1)


def test_the_svg_draws_the_same_figure():
    fig = picture(explain(derive(DEEP), "W1[2,1]"))
    root = ET.fromstring(svg(fig))
    ns = {"s": "http://www.w3.org/2000/svg"}
    lines = root.findall("s:line", ns)
    assert len(lines) == len(fig["edges"]) and len(root.findall("s:circle", ns)) == len(fig["units"])
    assert sum(line.get("stroke-width") == "2.4" for line in lines) == 8
    assert [t.text for t in root.findall("s:text", ns)].count("3") == 2      # two edges carry all 3 paths
    assert "W¹₂₁" in root.find("s:title", ns).text


def test_a_network_too_wide_is_not_drawn_and_says_so():
    fig = picture(explain(derive(Network(sizes=(1, 9, 1), batch=1)), "W1[1,1]"))
    assert fig["absent"] == "the network is drawn up to 8 units a layer, 6 layers and 4,096 paths"


def test_the_local_picture_is_upstream_times_local_derivative_equal_to_delta():
    d = derive(Network(sizes=(2, 3, 2), activations=("tanh", "sigmoid"), loss="bce", batch=2))
    w = compute(d)
    for name in ("matrix", "theta", "ufldl"):
        local = context(w, Printer.for_network(notation(name), d.net), "W1[2,1]")["local"]
        assert local["exact"] == pytest.approx(w.values["delta1_2_1"], rel=1e-14)       # δ^1_21 = ∂E/∂Z^1_21
        upstream = sum(w.parameters[f"W2_{k}_2"] * w.values[f"delta2_{k}_1"] for k in (1, 2))
        assert local["upstream_value"] == f"{upstream:.10g}"
        assert local["gprime_value"] == f"{1 - w.values['A1_2_1'] ** 2:.10g}"           # tanh' = 1 − a²
    one_layer = derive(Network(sizes=(2, 1), batch=1))
    assert context(compute(one_layer), Printer.for_network(notation("matrix"), one_layer.net), "W1[1,1]")["local"] == {}


def test_the_markdown_links_its_svg_written_beside_it(tmp_path):
    d = derive(DEEP)
    out = write(d, tmp_path, formats=("md", "tex"), parameter="W1[2,1]")
    assert sorted(p.name for p in out.files) == ["derivation.md", "derivation.svg", "derivation.tex"]
    md = (tmp_path / "derivation.md").read_text()
    assert "](derivation.svg)" in md and "**One unit's local picture.**" in md
    ET.parse(tmp_path / "derivation.svg")
    text = render(d, fmt="markdown")
    assert "](" not in text[text.index(". Worked numbers\n"):].split("\n## ")[0]      # a string alone: no file
    assert not (tmp_path / "t" / "derivation.svg").exists()
    write(d, tmp_path / "t", formats=("tex",))
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["derivation.tex"]


def test_the_pdf_shows_both_pictures(tmp_path):
    require_latex()
    out = write(derive(DEEP), tmp_path, formats=("pdf",), parameter="W1[2,1]", notations=("theta",))
    assert out.problems == [] and out.ok
    log = out.logs[tmp_path / "derivation.pdf"]
    assert log.errors == () and not [o for o in log.overfull if o[0] > 10]
    text = pdf_text(tmp_path / "derivation.pdf")
    assert "Figure 1: The network, layers left to right and the error on the right: the 3 paths through the network from" in text
    assert "One unit’s local picture" in text and "is multiplied by the local derivative" in text


def test_the_figure_counts_one_samples_paths_and_stands_in_the_worked_example(tmp_path):
    """Review 7: at m = 4 the caption said "the 4 paths … are solid" over one drawn path (four networks?), and the
    figure floated into the worked numbers or an appendix, pages from the paths it draws. It counts one sample's
    paths, says the other samples have as many through the same units, and is placed in the worked example."""
    net = Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=4)
    d = derive(net)
    fig = picture(explain(d, "W1[1,1]"))
    assert (fig["drawn"], fig["samples"], fig["paths"]) == (1, 4, 4)
    assert [e["count"] for e in fig["edges"] if e["on"]] == [1, 1, 1]
    deep = picture(explain(derive(Network(sizes=(2, 3, 3, 1), activations="sigmoid", batch=3)), "W1[1,1]"))
    assert (deep["drawn"], deep["samples"]) == (3, 3) and max(e["count"] for e in deep["edges"]) == 3
    write(d, tmp_path, formats=("tex", "md"))
    for name in ("derivation.tex", "derivation.md"):
        text = (tmp_path / name).read_text()
        worked, numbers = text.index("A worked example"), text.index("Worked numbers")
        caption = text.index("The network, layers left to right")
        assert worked < caption < numbers, name
        assert "the one path through the network from" in text and "in one sample" in text[caption:caption + 400]
        assert "each of the $m = 4$ samples has its own, through the same units" in text[caption:caption + 600]


def test_a_softmax_figure_says_the_links_between_outputs_are_not_drawn():
    """Review 9: a softmax output's paths run from Z^L_i to A^L_k, between two output units; the figure drew no such
    link, and its counts on the last edges did not add up. The caption says so; a sigmoid output's does not."""
    soft = picture(explain(derive(Network(sizes=(2, 3, 3), activations=("relu", "softmax"), loss="cce", batch=2)),
                           "W1[1,1]"))
    plain = picture(explain(derive(Network(sizes=(2, 3, 1), activations="sigmoid", batch=2)), "W1[1,1]"))
    assert soft["coupled"] and not plain["coupled"]
    net = Network(sizes=(2, 3, 3), activations=("relu", "softmax"), loss="cce", batch=2)
    assert "a link between the two, not drawn" in render(derive(net), fmt="latex")
