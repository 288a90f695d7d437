"""The 1-D convolution kind (issue 16): conv1d:C_in/C_out/K, shared weights, stride 1, no padding.

The forward rule against NumPy's own correlation; every partial proved against the chain rule on E; the weight
gradient not summed over positions refuted at a point that really separates the two; the generated NumPy
gradient against a back-prop written here with np.correlate / np.convolve (not the entry's loops), central
differences, complex step, torch and JAX; the command line; bad arguments in one line."""
import dataclasses
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp

from symbackprop import SpecError
from symbackprop.model.kinds import KINDS, conv1d
from symbackprop.model.layers import Stack, network
from symbackprop.numeric.layers import LayerCode, gradcheck_stack, random_data, random_params
from symbackprop.symbolic.graph import Graph, verify_stack


def _stack(text: str, **fields) -> Stack:
    built = network(text, **fields)
    assert isinstance(built, Stack)
    return built


def _numbers(g: Graph, k: int, x: np.ndarray, params: dict) -> dict:
    at = dict(zip(g.H[0], x.ravel(), strict=True))
    for name, value in params.items():
        at.update(zip(g.values[k][name], np.asarray(value).ravel(), strict=True))
    return at


def test_conv1d_shapes_and_registry():
    s = _stack("input:8, conv1d:2/3/2, tanh, dense:1", batch=2)
    assert KINDS["conv1d"] is conv1d.KIND
    assert s.widths == (8, 9, 9, 1)                        # 2 channels of 4 -> 3 filters of 4 − 2 + 1 = 3
    assert s.parameter_shapes()["W1"] == (3, 4) and s.parameter_shapes()["b1"] == (3, 1)


def test_conv1d_forward_is_numpys_correlation():
    c_in, c_out, K, L = 2, 3, 3, 5
    s = _stack(f"input:{c_in * L}, conv1d:{c_in}/{c_out}/{K}", batch=2)
    g = Graph(s)
    rng = np.random.default_rng(4)
    x, W, b = rng.normal(size=(c_in * L, 2)), rng.normal(size=(c_out, c_in * K)), rng.normal(size=(c_out, 1))
    got = np.array(g.out[1].xreplace(_numbers(g, 1, x, {"W": W, "b": b})), dtype=float)
    w = W.reshape(c_out, c_in, K)
    for sample in range(2):
        xs = x[:, sample].reshape(c_in, L)
        want = np.array([sum(np.correlate(xs[c], w[f, c], mode="valid") for c in range(c_in)) + b[f, 0]
                         for f in range(c_out)])
        np.testing.assert_allclose(got[:, sample].reshape(c_out, L - K + 1), want, rtol=1e-13)


@pytest.mark.parametrize("text, batch", [("input:6, conv1d:2/2/2, tanh, dense:1", 2),
                                         ("input:5, conv1d:1/2/3, sigmoid, conv1d:2/1/2, dense:1", 2)])
def test_every_partial_of_a_conv1d_stack_is_proved_exactly(text, batch):
    s = _stack(text, batch=batch)
    report = verify_stack(s)
    assert report.ok, report.table()
    assert len(report.parameters) == s.parameter_count + s.input * batch
    assert {r.status for r in report.parameters} == {"proved"}


def test_a_weight_gradient_not_summed_over_positions_is_refuted():
    s = _stack("input:6, conv1d:2/2/2, tanh, dense:1", batch=2)
    wrong = dataclasses.replace(s, layers=(conv1d.planted_not_summed_over_positions("2/2/2", (6,)),) + s.layers[1:])
    report = verify_stack(wrong)
    assert not report.ok
    bad = report.counterexample()
    assert bad.name.startswith("W1[") and bad.status == "refuted" and bad.point
    # the input gradient and the bias are still right: only the weights' rule is wrong
    assert all(r.ok for r in report.parameters if not r.name.startswith("W1["))
    # at the counterexample the chain rule and the planted rule really differ, by the residual reported
    g = Graph(wrong)
    at = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in bad.point.items()}
    i, j = (int(t) - 1 for t in bad.name[bad.name.index("[") + 1:-1].split(","))
    theta = g.values[1]["W"][i, j]
    difference = (g.local(1, theta) - g.backward(1)[1]["W"][i, j]).xreplace(at)
    assert abs(float(difference.evalf(30))) == pytest.approx(bad.residual, rel=1e-9) and bad.residual > 1e-6


def _conv_backprop_by_numpy(x, W, dy, c_in, c_out, K, L):
    """dW by np.correlate of x with dy, dx by np.convolve(dy, w, 'full'): the textbook's two operations."""
    out, m = L - K + 1, x.shape[1]
    w = W.reshape(c_out, c_in, K)
    dW, dx = np.zeros_like(w), np.zeros_like(x)
    for s in range(m):
        xs, ds = x[:, s].reshape(c_in, L), dy[:, s].reshape(c_out, out)
        for f in range(c_out):
            for c in range(c_in):
                dW[f, c] += np.correlate(xs[c], ds[f], mode="valid")
                dx[c * L:(c + 1) * L, s] += np.convolve(ds[f], w[f, c], mode="full")
    return dW.reshape(c_out, c_in * K), dy.reshape(c_out, out, m).sum(axis=(1, 2))[:, None], dx


def test_the_generated_backward_is_the_textbook_correlation_and_full_convolution():
    c_in, c_out, K, L, m = 2, 3, 3, 6, 4
    s = _stack(f"input:{c_in * L}, conv1d:{c_in}/{c_out}/{K}", batch=m)
    rng = np.random.default_rng(5)
    params, (X, Y) = random_params(s, rng), random_data(s, m, rng)
    code = LayerCode(s, m)
    grads = code.gradient(params, X, Y)
    dy = (code.forward(params, X)[-1] - Y) / m                           # mse: ∂E/∂y = (y − Y)/m
    dW, db, dx = _conv_backprop_by_numpy(X, params["W1"], dy, c_in, c_out, K, L)
    np.testing.assert_allclose(grads["W1"], dW, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["b1"], db, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["X"], dx, rtol=1e-12, atol=1e-15)


def test_gradcheck_of_a_conv1d_stack_passes_every_reference():
    s = _stack("input:8, conv1d:2/3/2, tanh, conv1d:3/1/2, dense:2, sigmoid", batch=5)
    rng = np.random.default_rng(0)
    params, (X, Y) = random_params(s, rng), random_data(s, 5, rng)
    report = gradcheck_stack(s, params, X, Y)
    assert report.ok, report.table()
    by = {c.reference: c for c in report.comparisons}
    assert by["central differences"].worst < 1e-7 and by["complex step"].worst < 1e-13
    for library in ("torch", "jax"):
        if library in by:
            assert by[library].worst < 1e-12 and not by[library].refused


def test_a_planted_conv1d_backward_fails_the_gradcheck_and_an_unknown_one_is_refused():
    s = _stack("input:6, conv1d:2/2/2, tanh, dense:1", batch=3)
    wrong = dataclasses.replace(s, layers=(conv1d.planted_not_summed_over_positions("2/2/2", (6,)),) + s.layers[1:])
    rng = np.random.default_rng(2)
    params, (X, Y) = random_params(wrong, rng), random_data(wrong, 3, rng)
    report = gradcheck_stack(wrong, params, X, Y)
    assert not report.ok and report.failed[0].at.startswith("W1[")
    unknown = dataclasses.replace(s, layers=(dataclasses.replace(s.layers[0], autodiff=None),) + s.layers[1:])
    for c in gradcheck_stack(unknown, params, X, Y).comparisons:
        if c.reference in ("torch", "jax"):
            assert c.refused == "layer 1 (conv1d:2/2/2) has no autodiff form (its entry has none)"


@pytest.mark.parametrize("text, message", [
    ("input:6, conv1d", "conv1d takes C_in/C_out/K"),
    ("input:6, conv1d:2/2", "conv1d takes C_in/C_out/K"),
    ("input:6, conv1d:0/2/2", "whole numbers >= 1"),
    ("input:7, conv1d:2/2/2", "not a multiple of 2"),
    ("input:6, conv1d:2/2/4", "kernel 4 is longer than the input's 3 positions"),
    ("input:6, conv1d:a/b/c", "conv1d takes C_in/C_out/K"),
])
def test_bad_conv1d_arguments_are_one_line(text, message):
    with pytest.raises(SpecError) as error:
        network(text)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_command_line_verifies_and_gradchecks_a_conv1d_stack():
    script = shutil.which("symbackprop")
    assert script
    run = lambda *args: subprocess.run([script, *args], capture_output=True, text=True, timeout=300)  # noqa: E731
    ok = run("verify", "--layers", "input:6, conv1d:2/2/2, tanh, dense:1", "--batch", "2")
    assert ok.returncode == 0 and "27 partials: 27 proved, 0 numeric, 0 refuted" in ok.stdout, ok.stdout + ok.stderr
    ok = run("gradcheck", "--layers", "input:6, conv1d:2/2/2, tanh, dense:1", "--batch", "3")
    assert ok.returncode == 0 and "complex step" in ok.stdout and "0 failed" in ok.stdout, ok.stdout + ok.stderr
    bad = run("verify", "--layers", "input:7, conv1d:2/2/2, dense:1")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not a multiple of 2" in bad.stderr, bad.stderr
