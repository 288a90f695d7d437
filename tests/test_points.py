"""Random points: the direct mpmath evaluation agrees with SymPy's evalf to far below any tolerance used."""
from __future__ import annotations

import pytest
import sympy as sp

from symbackprop import Network, derive
from symbackprop.symbolic import points
from symbackprop.symbolic.points import DIGITS, concrete, random_point

NETWORKS = [("generic", "mse"), (("sigmoid", "sigmoid"), "bce"), ("relu", "mse"), ("tanh", "mse"),
            ("softplus", "mse"), (("tanh", "softmax"), "cce"), (("elu", "identity"), "mse"),
            (("gelu", "identity"), "mse"), (("leaky_relu", "identity"), "mse")]


def by_sympy(point, expr):
    return concrete(point.forward, expr, point.k).xreplace(point.values).evalf(DIGITS)


@pytest.mark.parametrize("activations, loss", NETWORKS, ids=[f"{a}-{b}" for a, b in NETWORKS])
def test_direct_evaluation_is_sympys_value_to_90_digits(activations, loss, monkeypatch):
    d = derive(Network(sizes=(2, 3, 2), activations=activations, loss=loss, batch=2))
    fp = d.forward
    point = random_point(fp, 5, 1, k=3)
    for s, definition in fp.definitions.items():          # the forward pass, run directly
        assert abs(point.values[s] - by_sympy(point, definition)) < sp.Float(10) ** -90, s
    second = [sp.Derivative(points.generic_function(1)(fp.Z[1][0, 0]), (fp.Z[1][0, 0], 2))] \
        if activations == "generic" else []
    fell_back = []
    monkeypatch.setattr(points, "concrete", lambda *a: fell_back.append(a) or concrete(*a))
    for v in [*fp.parameters.values(), *second]:
        e = d.chain.partial(v) if not isinstance(v, sp.Derivative) else v
        direct = point.evaluate(e)
        assert not fell_back, e
        assert abs(direct - by_sympy(point, e)) <= sp.Float(10) ** -90 * max(1, abs(direct)), (v, e)


def test_what_direct_evaluation_does_not_know_sympy_evaluates():
    d = derive(Network(sizes=(1, 1), activations="sigmoid", loss="mse", batch=1))
    point = random_point(d.forward, 0)
    x = d.forward.X[0]
    for expr in (sp.log(-1 - x**2), sp.Subs(sp.Function("h")(x), x, 1) * 0 + sp.asinh(x), sp.sqrt(-1 - x**2)):
        value = point.evaluate(expr)
        assert sp.simplify(value - by_sympy(point, expr)) == 0 or abs(value - by_sympy(point, expr)) < 1e-90
