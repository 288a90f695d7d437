"""The general equations a write-up prints: each proved at every layer, unit and sample of a network.

The printed equation is exactly what is instantiated, so a slip in the printed form (a missing g',
a transposed index, 1/m in the wrong place) fails here, and a test plants each to show it would.
"""
import dataclasses

import pytest
import sympy as sp

from symbackprop import Network, derive, notation
from symbackprop.symbolic.derive import Step
from symbackprop.symbolic.general import A, General, W, Z, delta, gprime, m
from symbackprop.symbolic.verify import PROVED, check_step

NETWORKS = [
    Network(sizes=(2, 3, 1), activations="generic", batch=2),
    Network(sizes=(2, 3, 2, 2), activations=("tanh", "relu", "sigmoid"), loss="bce", batch=2, weight_decay="lam"),
    Network(sizes=(2, 3, 3), activations=("softplus", "softmax"), loss="cce", batch=2, weight_decay=0.25),
    Network(sizes=(3, 2), activations="softmax", loss="mse", batch=1),
]


def results(d, general, eq):
    return [check_step(d, Step(name, truth, claim, assume=assume))
            for name, truth, claim, assume in general.check_instances(eq)]


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: "-".join(map(str, n.sizes)) + "-" + n.loss)
@pytest.mark.parametrize("name", ["matrix", "theta", "ufldl"])
def test_every_printed_equation_holds_at_every_instance(net, name):
    d = derive(net)
    general = General(d.chain, notation(name))
    for eq in general.forward() + [general.error()] + general.chain_rule() + general.boxed():
        checked = results(d, general, eq)
        assert checked or (eq.layers == "hidden" and net.depth == 1), eq.label
        assert all(r.ok for r in checked), [str(r) for r in checked if not r.ok]
        if "generic" in net.layer_activations:
            assert all(r.status == PROVED for r in checked), eq.label


def test_instances_cover_every_index():
    net = Network(sizes=(2, 3, 2, 1), batch=2)
    general = General(derive(net).chain, notation("theta"))
    count = {eq.label: len(general.indices(eq)) for eq in general.boxed() + general.chain_rule()}
    assert count == {"delta L": 1 * 2, "delta l": (3 + 2) * 2, "gradient W": 6 + 6 + 2, "gradient b": 3 + 2 + 1,
                     "dW": 14, "db": 6, "dZ": (3 + 2 + 1) * 2, "dA": (3 + 2) * 2, "dAL": 2}


def planted(eq, general):
    """Classic slips in the printed hidden δ equation."""
    x, l = general.x, general.x.l
    k, i, c = x.k, x.i, x.c
    sum_ = lambda body: sp.Sum(body, (k, 1, sp.IndexedBase("n")[l + 1]))  # noqa: E731
    return {
        "missing g'": sum_(delta[l + 1, k, c] * W[l + 1, k, i]),
        "transposed W": sum_(delta[l + 1, k, c] * W[l + 1, i, k]) * gprime(l, Z[l, i, c]),
        "A for g'": sum_(delta[l + 1, k, c] * W[l + 1, k, i]) * A[l, i, c],
        "extra 1/m": sum_(delta[l + 1, k, c] * W[l + 1, k, i]) * gprime(l, Z[l, i, c]) / m,
    }


@pytest.mark.parametrize("slip", ["missing g'", "transposed W", "A for g'", "extra 1/m"])
def test_a_slip_in_a_printed_equation_fails(slip):
    net = Network(sizes=(2, 2, 2), activations="generic", batch=2)   # square W: a transposed index still exists
    d = derive(net)
    general = General(d.chain, notation("matrix"))
    eq = general.hidden_delta()
    wrong = dataclasses.replace(eq, rhs=planted(eq, general)[slip])
    assert any(not r.ok for r in results(d, general, wrong)), slip
    assert all(r.ok for r in results(d, general, eq))


def test_the_short_softmax_form_needs_its_assumption():
    d = derive(Network(sizes=(2, 3), activations="softmax", loss="cce", batch=1))
    general = General(d.chain, notation("matrix"))
    short = next(eq for eq in general.boxed() if eq.assumption)
    assert all(r.ok for r in results(d, general, short))
    free = dataclasses.replace(short, assumption="")                # Y left free: (A - Y)/m is wrong
    assert not any(r.ok for r in results(d, general, free))
