"""Extending symbackprop from outside, through the public API alone: a new activation, a new loss and
a new notation, each one entry, and every stage works on them.

The activation (bent identity, (√(z² + 1) − 1)/2 + z) and the loss (log-cosh) are registered with
their hand-written NumPy forms, so the independent reference checks them; the notation is a copy of
the matrix notation's data under another name and error letter, with no seed of its own.
"""
import dataclasses

import numpy as np
import pytest
import sympy as sp

from symbackprop import (
    Activation,
    Loss,
    Network,
    check,
    derive,
    explain,
    gradcheck,
    lambdify,
    notation,
    register_activation,
    register_loss,
    register_notation,
    render,
    verify,
)
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.model.losses import LOSSES
from symbackprop.model.notations import NOTATIONS


@pytest.fixture
def extended():
    before = [dict(table) for table in (ACTIVATIONS, LOSSES, NOTATIONS)]
    register_activation(Activation(
        "bent", lambda z, l: (sp.sqrt(z**2 + 1) - 1) / 2 + z,
        numpy=lambda z: (np.sqrt(z * z + 1) - 1) / 2 + z,
        numpy_derivative=lambda z, a, h: z / (2 * np.sqrt(z * z + 1)) + 1))
    register_loss(Loss(
        "logcosh", "log-cosh loss", lambda a, y: sp.log(sp.cosh(a - y)),
        numpy=lambda Z, A, Y: np.logaddexp(A - Y, Y - A) - np.log(2), numpy_gradient=lambda A, Y: np.tanh(A - Y)))
    register_notation(dataclasses.replace(notation("matrix"), name="course", seed="", error="C"))
    yield Network(sizes=(2, 3, 1), activations="bent", loss="logcosh", batch=2)
    for table, saved in zip((ACTIVATIONS, LOSSES, NOTATIONS), before, strict=True):   # leave the registries as found
        table.clear()
        table.update(saved)


def test_derive_verify_lambdify_gradcheck(extended):
    d = derive(extended)
    assert verify(d).ok
    rng = np.random.default_rng(3)
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=3), "W2": rng.normal(size=(1, 3)),
              "b2": rng.normal(size=1)}
    X, Y = rng.normal(size=(2, 5)), rng.normal(size=(1, 5))
    report = gradcheck(d, params, X, Y)
    assert report.ok
    names = {c.reference for c in report.comparisons}
    assert {"central differences", "complex step", "hand-written NumPy back-prop"} <= names
    assert np.isfinite(lambdify(d).loss(params, X, Y))


def test_explain_check_and_the_write_up(extended):
    d = derive(extended)
    assert sp.expand(explain(d, "W1[1,1]").result - d.partial("W1[1,1]")) == 0
    assert check(d, "delta1 = (W2.T @ delta2) * g1'(Z1)").status == "proved"          # the hidden rule, for the new g
    assert check(d, "dE/dW2 = delta2 @ A1.T").status == "proved"
    assert not check(d, "dE/dW2 = delta2 @ A1.T / m", diagnose=False).ok  # 1/m twice: refuted
    latex = render(d, notation="course", fmt="latex")
    assert r"\section" in latex and "seed" not in latex.split(r"\begin{document}")[1][:400]


def test_a_wrong_hand_written_form_is_caught(extended):
    """The reference is only worth something if it can say no: a wrong derivative fails gradcheck."""
    register_activation(dataclasses.replace(ACTIVATIONS["bent"], name="bent",
                                            numpy_derivative=lambda z, a, h: z / np.sqrt(z * z + 1) + 1))
    net = Network(sizes=(2, 3, 1), activations="bent", loss="logcosh", batch=2)
    rng = np.random.default_rng(4)
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=3), "W2": rng.normal(size=(1, 3)),
              "b2": rng.normal(size=1)}
    report = gradcheck(net, params, rng.normal(size=(2, 4)), rng.normal(size=(1, 4)))
    assert [c.reference for c in report.failed][:1] == ["hand-written NumPy back-prop"]


def test_an_unknown_loss_is_refused_by_the_references_not_replaced(extended):
    """A loss registered without hand-written or autodiff forms: those references skip it and say why;
    before, they silently computed cross-entropy."""
    register_loss(Loss("quartic", "quartic loss", lambda a, y: (a - y) ** 4 / 4))
    net = Network(sizes=(2, 2, 1), activations="tanh", loss="quartic", batch=2)
    rng = np.random.default_rng(5)
    params = {"W1": rng.normal(size=(2, 2)), "b1": rng.normal(size=2), "W2": rng.normal(size=(1, 2)),
              "b2": rng.normal(size=1)}
    report = gradcheck(net, params, rng.normal(size=(2, 3)), rng.normal(size=(1, 3)))
    assert report.ok
    assert "quartic" in report.skipped["hand-written"] and "quartic" in report.skipped["autograd"]
    assert not any(c.reference.startswith("hand-written") or c.reference == "autograd" for c in report.comparisons)
