"""The loss logistic_ce (issue 16): sigmoid and binary cross-entropy fused on the logit z, softplus(z) − y z,
computed stably as max(z, 0) + log(1 + e^{−|z|}) − y z; its gradient (σ(z) − y)/m.

The term against the composite −y log σ(z) − (1 − y) log(1 − σ(z)) at 50 digits; the gradient proved as the
loss step of the layer graph and of the dense engine; a gradient without the sigmoid refuted; the generated
NumPy finite and right at |z| = 1000 where the composite overflows; gradcheck against every reference; the
command line."""
import dataclasses
import shutil
import subprocess

import mpmath
import numpy as np
import pytest
import sympy as sp

from symbackprop import Network, verify
from symbackprop.model.layers import Stack, network
from symbackprop.model.losses import LOSSES
from symbackprop.numeric.layers import LayerCode, gradcheck_stack, random_data, random_params
from symbackprop.symbolic.derive import derive
from symbackprop.symbolic.graph import verify_stack

RULE = LOSSES["logistic_ce"]


def _stack(text: str, **fields) -> Stack:
    built = network(text, loss="logistic_ce", **fields)
    assert isinstance(built, Stack)
    return built


@pytest.mark.parametrize("z", ["-30", "-2.5", "-1/3", "0", "0.7", "4", "30"])
@pytest.mark.parametrize("y", ["0", "1", "0.3"])
def test_the_term_is_sigmoid_then_bce_and_its_gradient_is_sigma_minus_y(z, y):
    with mpmath.workdps(60):
        zv, yv = mpmath.mpf(sp.Rational(z)), mpmath.mpf(sp.Rational(y))
        sigma = 1 / (1 + mpmath.exp(-zv))
        composite = -yv * mpmath.log(sigma) - (1 - yv) * mpmath.log(1 - sigma)
        term = RULE.term(sp.Rational(z), sp.Rational(y)).evalf(50)
        assert abs(mpmath.mpf(str(term)) - composite) < mpmath.mpf(10) ** -45
        gradient = RULE.output_gradient(sp.Rational(z), sp.Rational(y), 1).evalf(50)
        assert abs(mpmath.mpf(str(gradient)) - (sigma - yv)) < mpmath.mpf(10) ** -45


def test_the_loss_step_is_proved_in_the_graph_and_in_the_dense_engine():
    s = _stack("input:3, layernorm, dense:2", batch=2)
    report = verify_stack(s)
    assert report.ok and {r.status for r in report.parameters} == {"proved"}
    top = [r for r in report.steps if r.name.startswith("dE/dH2")]
    assert len(top) == 4 and all(r.status == "proved" for r in top)
    dense = verify(derive(Network(sizes=(2, 3, 1), activations=("tanh", "identity"), loss="logistic_ce", batch=2)))
    assert dense.ok


def test_a_gradient_without_the_sigmoid_is_refuted():
    s = _stack("input:2, prelu, dense:1", batch=2)
    wrong = dataclasses.replace(s, loss=dataclasses.replace(RULE, gradient=lambda z, y, m: (z - y) / m))
    report = verify_stack(wrong)
    assert not report.ok and report.counterexample().name.startswith("dE/dH2")


def test_the_generated_loss_is_finite_and_right_where_the_composite_overflows():
    s = _stack("input:1, conv1d:1/1/1", batch=4)                     # y = w x + b, a layer-graph stack
    code = LayerCode(s, 4)
    Z = np.array([[1000.0, -1000.0, 1000.0, -1000.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    np.testing.assert_allclose(code.term(Z, Y), [[1000.0, 1000.0, 0.0, 0.0]], atol=1e-300)
    np.testing.assert_allclose(code.dterm(Z, Y), [[1.0, -1.0, 0.0, 0.0]], atol=1e-300)
    params = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
    grads = code.gradient(params, Z, Y)                                    # no warning: warnings are errors
    np.testing.assert_allclose(grads["W1"], [[(1000.0 + 1000.0) / 4]])


@pytest.mark.parametrize("text", ["input:6, conv1d:2/2/2, dense:1", "input:4, rnn:2/2, dense:2"])
def test_gradcheck_with_the_logistic_loss(text):
    s = _stack(text, batch=5)
    rng = np.random.default_rng(0)
    params, (X, Y) = random_params(s, rng), random_data(s, 5, rng)
    assert Y.min() >= 0 and Y.max() <= 1
    report = gradcheck_stack(s, params, X, Y)
    assert report.ok, report.table()
    by = {c.reference: c for c in report.comparisons}
    assert by["central differences"].worst < 1e-7 and by["complex step"].worst < 1e-13
    for library in ("torch", "jax"):
        if library in by:
            assert by[library].worst < 1e-12 and not by[library].refused


def test_the_command_line_takes_the_logistic_loss():
    script = shutil.which("symbackprop")
    assert script
    run = lambda *args: subprocess.run([script, *args], capture_output=True, text=True, timeout=300)  # noqa: E731
    ok = run("verify", "--layers", "input:2, prelu, dense:1", "--loss", "logistic_ce", "--batch", "2")
    assert ok.returncode == 0 and "9 partials: 9 proved, 0 numeric, 0 refuted" in ok.stdout, ok.stdout + ok.stderr
    ok = run("gradcheck", "--layers", "input:3, layernorm, dense:1", "--loss", "logistic_ce", "--batch", "3")
    assert ok.returncode == 0 and "0 failed" in ok.stdout, ok.stdout + ok.stderr
    bad = run("verify", "--layers", "input:2, prelu, dense:1", "--loss", "logistic")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "logistic_ce" in bad.stderr, bad.stderr
