"""Property tests: over random small architectures, activations, losses and batches, every partial
verifies, and every lambdified route agrees with the hand-written back-prop."""
import numpy as np
import pytest
from helpers import assert_gradients_close
from hypothesis import given
from hypothesis import strategies as st

from symbackprop import Network, derive, lambdify, verify
from symbackprop.numeric import handwritten
from symbackprop.numeric.arrays import random_data, random_params
from symbackprop.symbolic.points import random_point

HIDDEN = ["sigmoid", "tanh", "relu", "identity", "softplus", "generic"]


@st.composite
def networks(draw, max_depth=3, max_width=4, max_batch=3):
    depth = draw(st.integers(1, max_depth))
    sizes = draw(st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1))
    loss = draw(st.sampled_from(["mse", "bce", "cce"]))
    hidden = [draw(st.sampled_from(HIDDEN)) for _ in range(depth - 1)]
    output = draw({"mse": st.sampled_from(HIDDEN + ["softmax"]), "bce": st.sampled_from(["sigmoid", "softmax"]),
                   "cce": st.just("softmax")}[loss])
    if output == "softmax":
        sizes[-1] = max(2, sizes[-1])          # softmax over one unit is the constant 1
    activations = tuple(hidden + [output])
    return Network(sizes=tuple(sizes), activations=activations, loss=loss,
                   batch=draw(st.integers(1, max_batch)),
                   weight_decay=draw(st.sampled_from([0, 0.25, "lam"])),
                   relu_at_zero=draw(st.sampled_from([0, 0.5, 1])) if "relu" in activations else 0)


@pytest.mark.slow
@given(networks())
def test_every_partial_verifies(net):
    report = verify(derive(net))
    assert report.ok, [r for r in report.parameters + report.steps if not r.ok][:1]
    assert len(report.parameters) == net.parameter_count


@pytest.mark.slow
@given(networks(max_depth=2, max_width=2, max_batch=2), st.integers(0, 10**6))
def test_chain_rule_agrees_with_the_substituted_error(net, seed):
    """The fast ground truth (one diff per edge) against diff of the fully substituted E."""
    d = derive(net)
    point = random_point(d.forward, seed)
    for name in d.parameters:
        a, b = point.evaluate(d.partial(name)), point.evaluate(d.substituted_partial(name))
        assert abs(a - b) <= 1e-35 * max(1, abs(b)), name


@pytest.mark.slow
@given(networks(max_batch=1), st.integers(1, 40), st.integers(0, 10**6))
def test_every_route_agrees_with_the_hand_written_back_prop(net, m, seed):
    if "generic" in net.layer_activations:
        return                                   # an undefined g has no numeric value
    lam = 0.3 if isinstance(net.weight_decay, str) else None
    f = lambdify(net)
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    X, Y = random_data(net, m, rng)
    reference = handwritten.gradient(net, params, X, Y, weight_decay=lam)
    for route in ("direct", "delta", "matrix"):
        assert_gradients_close(f.gradient(params, X, Y, route=route, weight_decay=lam), reference,
                               rtol=1e-12, what=route)
