"""The teaching figures: what they show is data (edges, slopes), checked here; the drawing is laid out from it."""
from collections import Counter

import numpy as np
import pytest
from helpers import require_extra

from symbackprop import Network, derive, explain, gradcheck
from symbackprop.writeup.figures import path_edges, positions, sweep_slopes, unit_edges

DEEP = Network(sizes=(2, 3, 3, 1), activations="sigmoid", loss="mse", batch=1)


def test_the_graph_has_every_edge_once():
    edges = unit_edges((2, 3, 3, 1))
    assert len(edges) == len(set(edges)) == 2 * 3 + 3 * 3 + 3 * 1 + 1
    assert set(positions((2, 3, 3, 1))) == {u for edge in edges for u in edge}


def test_a_first_layer_weight_reaches_E_through_every_unit_downstream():
    x = explain(derive(DEEP), "W1[2,1]")
    assert path_edges(x) == Counter({((0, 1), (1, 2)): 3, ((1, 2), (2, 1)): 1, ((1, 2), (2, 2)): 1,
                                     ((1, 2), (2, 3)): 1, ((2, 1), (3, 1)): 1, ((2, 2), (3, 1)): 1,
                                     ((2, 3), (3, 1)): 1, ((3, 1), "E"): 3})
    assert set(path_edges(x)) <= set(unit_edges(DEEP.sizes))


def test_samples_share_the_units_and_a_bias_has_no_incoming_edge():
    two = explain(derive(Network(sizes=(2, 3, 3, 1), activations="sigmoid", batch=2)), "b1[2]")
    edges = path_edges(two)
    assert len(two.paths) == 6 and edges[((3, 1), "E")] == 6
    assert not any(v == (1, 2) for _, v in edges)


def test_weight_decay_adds_a_path_but_no_unit_edge():
    x = explain(derive(Network(sizes=(2, 2, 1), activations="sigmoid", batch=1, weight_decay=0.1)), "W2[1,1]")
    assert len(x.paths) == 2 and sum(path_edges(x).values()) == 2      # the decay path draws nothing


def test_the_step_sweep_shows_truncation_and_round_off():
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=3), "W2": rng.normal(size=(1, 3)),
              "b2": rng.normal(size=1)}
    report = gradcheck(Network(sizes=(2, 3, 1), activations="tanh", batch=4), params, rng.normal(size=(2, 4)),
                       rng.normal(size=(1, 4)))
    truncation, roundoff = sweep_slopes(report.sweep)
    assert truncation == pytest.approx(2, abs=0.1)                    # central differences: O(h²)
    assert -1.3 < roundoff < -0.5                                      # cancellation: O(ε/h)


def test_slopes_are_fitted_not_assumed():
    """A forward difference's sweep: truncation O(h), round-off O(1/h) on a synthetic sweep with those slopes."""
    sweep = [(10.0 ** -k, 10.0 ** -k + 1e-16 * 10.0 ** k) for k in range(1, 13)]
    truncation, roundoff = sweep_slopes(sweep)
    assert truncation == pytest.approx(1, abs=0.01) and roundoff == pytest.approx(-1, abs=0.01)


def test_drawings_lay_out_the_data():
    matplotlib = require_extra("matplotlib")
    matplotlib.use("Agg")
    from symbackprop.writeup.figures import draw_paths, plot_step_sweep

    x = explain(derive(DEEP), "W1[2,1]", notation="theta")
    ax = draw_paths(x)
    bold = [line for line in ax.get_lines() if line.get_gid() == "path"]
    assert len(bold) == len(path_edges(x)) and len(ax.get_lines()) == len(unit_edges(DEEP.sizes))
    assert "3 paths" in ax.get_title()
    sweep = [(10.0 ** -k, 10.0 ** (-2 * k) + 1e-16 * 10.0 ** k) for k in range(1, 13)]
    assert len(plot_step_sweep(sweep).get_lines()) == 3
    matplotlib.pyplot.close("all")
