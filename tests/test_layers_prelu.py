"""The PReLU kind (issue 16): prelu (a slope per unit) and prelu:shared (one slope), trainable.

The forward rule against NumPy; every partial proved against the chain rule on E, the kink at 0 taking the
stated step value on both sides; a slope gradient from one sample refuted; the generated NumPy gradient against
torch's prelu backward, central differences and JAX, complex step refused (a kink); the command line; bad
arguments in one line."""
import dataclasses
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp

from symbackprop import SpecError
from symbackprop.model.kinds import KINDS, prelu
from symbackprop.model.layers import Stack, network
from symbackprop.numeric.layers import LayerCode, gradcheck_stack, random_data, random_params
from symbackprop.symbolic.graph import Graph, verify_stack


def _stack(text: str, **fields) -> Stack:
    built = network(text, **fields)
    assert isinstance(built, Stack)
    return built


@pytest.mark.parametrize("text, shape", [("prelu", (3, 1)), ("prelu:shared", (1, 1))])
def test_prelu_forward_and_its_slopes(text, shape):
    s = _stack(f"input:3, {text}", batch=4)
    assert KINDS["prelu"] is prelu.KIND and s.parameter_shapes() == {"a1": shape}
    g = Graph(s)
    rng = np.random.default_rng(2)
    x, a = rng.normal(size=(3, 4)), rng.normal(size=shape)
    at = {**dict(zip(g.H[0], x.ravel(), strict=True)), **dict(zip(g.values[1]["a"], a.ravel(), strict=True))}
    got = np.array(g.out[1].xreplace(at).evalf(30), dtype=float)
    np.testing.assert_allclose(got, np.where(x > 0, x, a * x), rtol=1e-14)


@pytest.mark.parametrize("text, h", [("input:2, dense:3, prelu, dense:1", 0), ("input:2, dense:2, prelu:shared", 0.5)])
def test_every_partial_of_a_prelu_stack_is_proved_exactly(text, h):
    s = _stack(text, batch=2, relu_at_zero=h)
    report = verify_stack(s)
    assert report.ok, report.table()
    assert len(report.parameters) == s.parameter_count + s.input * 2
    assert {r.status for r in report.parameters} == {"proved"}


def test_at_the_kink_both_sides_take_the_stated_step():
    s = _stack("input:1, prelu", batch=1, relu_at_zero=sp.Rational(1, 4))
    g = Graph(s)
    a, x, dy = g.values[1]["a"][0, 0], g.H[0][0, 0], g.G[1][0, 0]
    direct, rule = g.local(1, x), g.backward(1)[0][0][0, 0]
    assert direct.xreplace({x: 0}) == rule.xreplace({x: 0}) == dy * (sp.Rational(1, 4) + a * sp.Rational(3, 4))


def test_a_slope_gradient_from_one_sample_is_refuted():
    s = _stack("input:2, prelu, dense:1", batch=3)
    wrong = dataclasses.replace(s, layers=(prelu.planted_slope_from_one_sample("", (2,)),) + s.layers[1:])
    report = verify_stack(wrong)
    assert not report.ok
    bad = report.counterexample()
    assert bad.name.startswith("a1[") and bad.point
    assert all(r.status == "proved" for r in report.parameters if not r.name.startswith("a1["))


def test_the_generated_backward_matches_torch_prelu():
    torch = pytest.importorskip("torch")
    s = _stack("input:3, prelu", batch=5)
    rng = np.random.default_rng(4)
    params, (X, Y) = random_params(s, rng), random_data(s, 5, rng)
    grads = LayerCode(s, 5).gradient(params, X, Y)
    x = torch.tensor(X.T.copy(), requires_grad=True)
    a = torch.tensor(params["a1"][:, 0], requires_grad=True)
    y = torch.nn.functional.prelu(x, a)
    (((y - torch.tensor(Y.T)) ** 2).sum() / 2 / 5).backward()
    np.testing.assert_allclose(grads["X"], x.grad.numpy().T, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["a1"][:, 0], a.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("text", ["input:3, dense:4, prelu, dense:2", "input:3, dense:4, prelu:shared, dense:1"])
def test_gradcheck_of_a_prelu_stack_passes_and_refuses_complex_step(text):
    s = _stack(text, batch=6)
    rng = np.random.default_rng(0)
    params, (X, Y) = random_params(s, rng), random_data(s, 6, rng)
    report = gradcheck_stack(s, params, X, Y)
    assert report.ok, report.table()
    by = {c.reference: c for c in report.comparisons}
    assert by["central differences"].worst < 1e-7 and by["complex step"].refused
    for library in ("torch", "jax"):
        if library in by:
            assert by[library].worst < 1e-12 and not by[library].refused
    wrong = dataclasses.replace(s, layers=s.layers[:1] + (prelu.planted_slope_from_one_sample(
        text.split(", ")[2].partition(":")[2], (3, 4)),) + s.layers[2:])
    failed = gradcheck_stack(wrong, params, X, Y).failed
    assert failed and failed[0].at.startswith("a2[")


@pytest.mark.parametrize("text, message", [
    ("input:3, prelu:2, dense:1", "prelu takes no argument"),
    ("input:3, prelu:all, dense:1", "or 'shared'"),
])
def test_bad_prelu_arguments_are_one_line(text, message):
    with pytest.raises(SpecError) as error:
        network(text)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_command_line_verifies_and_gradchecks_a_prelu_stack():
    script = shutil.which("symbackprop")
    assert script
    run = lambda *args: subprocess.run([script, *args], capture_output=True, text=True, timeout=300)  # noqa: E731
    ok = run("verify", "--layers", "input:2, dense:3, prelu, dense:1", "--batch", "2")
    assert ok.returncode == 0 and "20 partials: 20 proved, 0 numeric, 0 refuted" in ok.stdout, ok.stdout + ok.stderr
    ok = run("gradcheck", "--layers", "input:3, dense:3, prelu:shared, dense:1", "--batch", "3")
    assert ok.returncode == 0 and "refused: a layer or the loss is not analytic" in ok.stdout \
        and "0 failed" in ok.stdout, ok.stdout + ok.stderr
    bad = run("verify", "--layers", "input:2, prelu:7, dense:1")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "prelu takes no argument" in bad.stderr, bad.stderr
