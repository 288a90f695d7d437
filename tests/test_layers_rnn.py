"""The simple recurrent (Elman) kind (issue 16): rnn:H/T, tanh, h_0 = 0, weights shared over time, BPTT.

The forward rule against a loop written here and against torch.nn.RNN; every partial proved against the chain
rule on E through the unrolled graph; BPTT truncated to one step refuted at a separating point; the generated
NumPy gradient against torch.nn.RNN's own backward, central differences, complex step, torch and JAX; the
command line; bad arguments in one line."""
import dataclasses
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp

from symbackprop import SpecError
from symbackprop.model.kinds import KINDS, rnn
from symbackprop.model.layers import Stack, network
from symbackprop.numeric.layers import LayerCode, gradcheck_stack, random_data, random_params
from symbackprop.symbolic.graph import Graph, verify_stack


def _stack(text: str, **fields) -> Stack:
    built = network(text, **fields)
    assert isinstance(built, Stack)
    return built


def _elman(x, Wx, Wh, b, T):
    """Every hidden state, by the loop: h_t = tanh(Wx x_t + Wh h_{t−1} + b), h_0 = 0; rows step by step."""
    D, H = x.shape[0] // T, Wh.shape[0]
    h, states = np.zeros((H, x.shape[1])), []
    for t in range(T):
        h = np.tanh(Wx @ x[t * D:(t + 1) * D] + Wh @ h + b)
        states.append(h)
    return np.vstack(states)


def test_rnn_shapes_and_registry():
    s = _stack("input:6, rnn:4/3, dense:1", batch=2)
    assert KINDS["rnn"] is rnn.KIND
    assert s.widths == (6, 12, 1)                  # 3 steps of 2 features -> 3 states of 4 units
    assert {k: v for k, v in s.parameter_shapes().items() if k.endswith("1")} == {
        "Wx1": (4, 2), "Wh1": (4, 4), "b1": (4, 1)}


def test_rnn_forward_is_the_elman_recurrence():
    s = _stack("input:6, rnn:2/3", batch=2)
    g = Graph(s)
    rng = np.random.default_rng(1)
    x, Wx, Wh, b = rng.normal(size=(6, 2)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2)), rng.normal(size=(2, 1))
    at = dict(zip(g.H[0], x.ravel(), strict=True))
    for name, value in (("Wx", Wx), ("Wh", Wh), ("b", b)):
        at.update(zip(g.values[1][name], value.ravel(), strict=True))
    got = np.array(g.out[1].xreplace(at).evalf(30), dtype=float)
    np.testing.assert_allclose(got, _elman(x, Wx, Wh, b, 3), rtol=1e-13)


@pytest.mark.parametrize("text, batch", [("input:4, rnn:2/2, dense:1", 2), ("input:3, rnn:2/3", 1)])
def test_every_partial_of_an_rnn_stack_is_proved_exactly(text, batch):
    s = _stack(text, batch=batch)
    report = verify_stack(s)
    assert report.ok, report.table()
    assert len(report.parameters) == s.parameter_count + s.input * batch
    assert {r.status for r in report.parameters} == {"proved"}


def test_bptt_truncated_to_one_step_is_refuted():
    s = _stack("input:3, rnn:2/3", batch=1)
    wrong = dataclasses.replace(s, layers=(rnn.planted_truncated_to_one_step("2/3", (3,)),))
    report = verify_stack(wrong)
    assert not report.ok
    refuted = {r.name.split("[")[0] for r in report.parameters if r.status == "refuted"}
    assert {"Wh1", "Wx1", "b1", "dE/dX"} <= refuted          # every gradient through time is wrong
    bad = report.counterexample()
    g = Graph(wrong)
    at = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in bad.point.items()}
    i, c = (int(t) - 1 for t in bad.name[bad.name.index("[") + 1:-1].split(","))
    assert bad.name.startswith("dE/dX")
    difference = (g.local(1, g.H[0][i, c]) - g.backward(1)[0][0][i, c]).xreplace(at)
    assert abs(float(difference.evalf(30))) == pytest.approx(bad.residual, rel=1e-9) and bad.residual > 1e-20


def test_the_generated_bptt_matches_torch_rnn():
    torch = pytest.importorskip("torch")
    H, T, D, m = 3, 4, 2, 5
    s = _stack(f"input:{T * D}, rnn:{H}/{T}", batch=m)
    rng = np.random.default_rng(7)
    params, (X, Y) = random_params(s, rng), random_data(s, m, rng)
    grads = LayerCode(s, m).gradient(params, X, Y)
    cell = torch.nn.RNN(D, H, nonlinearity="tanh", bias=True, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.tensor(params["Wx1"]))
        cell.weight_hh_l0.copy_(torch.tensor(params["Wh1"]))
        cell.bias_ih_l0.copy_(torch.tensor(params["b1"][:, 0]))
        cell.bias_hh_l0.zero_()
    x = torch.tensor(X.reshape(T, D, m).transpose(0, 2, 1).copy(), requires_grad=True)     # (T, m, D)
    states, _ = cell(x)                                                                     # (T, m, H)
    y = states.permute(0, 2, 1).reshape(T * H, m)
    np.testing.assert_allclose(y.detach().numpy(), _elman(X, params["Wx1"], params["Wh1"], params["b1"], T),
                               rtol=1e-13)
    E = ((y - torch.tensor(Y)) ** 2).sum() / 2 / m
    E.backward()
    np.testing.assert_allclose(grads["Wx1"], cell.weight_ih_l0.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads["Wh1"], cell.weight_hh_l0.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads["b1"][:, 0], cell.bias_ih_l0.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads["X"], x.grad.numpy().transpose(0, 2, 1).reshape(T * D, m), rtol=1e-10,
                               atol=1e-14)


def test_gradcheck_of_an_rnn_stack_passes_every_reference():
    s = _stack("input:6, rnn:3/3, dense:2, sigmoid", batch=4)
    rng = np.random.default_rng(0)
    params, (X, Y) = random_params(s, rng), random_data(s, 4, rng)
    report = gradcheck_stack(s, params, X, Y)
    assert report.ok, report.table()
    by = {c.reference: c for c in report.comparisons}
    assert by["central differences"].worst < 1e-7 and by["complex step"].worst < 1e-13
    for library in ("torch", "jax"):
        if library in by:
            assert by[library].worst < 1e-12 and not by[library].refused


def test_truncated_bptt_fails_the_gradcheck():
    s = _stack("input:4, rnn:2/4, dense:1", batch=3)
    wrong = dataclasses.replace(s, layers=(rnn.planted_truncated_to_one_step("2/4", (4,)),) + s.layers[1:])
    rng = np.random.default_rng(3)
    params, (X, Y) = random_params(wrong, rng), random_data(wrong, 3, rng)
    report = gradcheck_stack(wrong, params, X, Y)
    assert not report.ok and report.failed[0].reference == "central differences"


@pytest.mark.parametrize("text, message", [
    ("input:4, rnn", "rnn takes H/T"),
    ("input:4, rnn:2", "rnn takes H/T"),
    ("input:4, rnn:2/5", "T from 1 to 4 steps"),
    ("input:4, rnn:0/2", "H >= 1 hidden units"),
    ("input:5, rnn:2/2", "not a multiple of 2"),
])
def test_bad_rnn_arguments_are_one_line(text, message):
    with pytest.raises(SpecError) as error:
        network(text)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_command_line_verifies_and_gradchecks_an_rnn_stack():
    script = shutil.which("symbackprop")
    assert script
    run = lambda *args: subprocess.run([script, *args], capture_output=True, text=True, timeout=300)  # noqa: E731
    ok = run("verify", "--layers", "input:4, rnn:2/2, dense:1", "--batch", "2")
    assert ok.returncode == 0 and "23 partials: 23 proved, 0 numeric, 0 refuted" in ok.stdout, ok.stdout + ok.stderr
    ok = run("gradcheck", "--layers", "input:6, rnn:2/3, dense:1", "--batch", "3")
    assert ok.returncode == 0 and "complex step" in ok.stdout and "0 failed" in ok.stdout, ok.stdout + ok.stderr
    bad = run("gradcheck", "--layers", "input:4, rnn:2/9, dense:1")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "T from 1 to 4" in bad.stderr, bad.stderr


def test_nested_functions_are_proved_as_polynomials_in_them_and_only_then():
    """The check's fast exact path (each tanh(u) a generator) proves what is a polynomial identity in them, and
    leaves a true identity that needs tanh's own laws to the numeric check, labelled numeric, never proved."""
    from symbackprop.symbolic.graph import check
    x, w = sp.symbols("x w", real=True)
    inner = sp.tanh(w * x)
    nested = sp.tanh(w * inner + x)
    assert check("chain", sp.diff(nested, w), (1 - nested ** 2) * (inner + w * x * (1 - inner ** 2))).status \
        == "proved"
    double = check("double angle", sp.tanh(2 * x), 2 * sp.tanh(x) / (1 + sp.tanh(x) ** 2))
    assert double.status == "numeric" and double.residual < 1e-30
    assert check("wrong", sp.diff(nested, w), (1 - nested ** 2) * inner).status == "refuted"


def test_one_time_step_leaves_wh_unread_and_every_reference_says_its_gradient_is_zero():
    """rnn:H/1 reads h_0 = 0 only, so E does not depend on Wh: torch gives no grad for it (None), which is 0,
    not a failure (found by the random-stack property test)."""
    stack = network("input:2, rnn:2/1, dense:1", loss="mse", batch=2)
    rng = np.random.default_rng(1)
    params, (X, Y) = random_params(stack, rng), random_data(stack, 2, rng)
    report = gradcheck_stack(stack, params, X, Y)
    assert report.ok, report.table()
    assert np.all(report.gradient["Wh1"] == 0)
    assert [c.reference for c in report.comparisons if not c.refused][:2] == ["central differences", "complex step"]
