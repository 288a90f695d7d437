"""The layer-normalisation kind (issue 16): layernorm[:ε], per sample over its features, γ and β per feature.

The forward rule against NumPy; every partial proved against the chain rule on E; batch norm's backward copied
(γ outside the sums over features) refuted; the generated NumPy gradient against torch's layer_norm backward,
central differences, complex step and JAX; the command line; bad arguments in one line."""
import dataclasses
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp

from symbackprop import SpecError
from symbackprop.model.kinds import KINDS, layernorm
from symbackprop.model.layers import Stack, network
from symbackprop.numeric.layers import LayerCode, gradcheck_stack, random_data, random_params
from symbackprop.symbolic.graph import Graph, verify_stack


def _stack(text: str, **fields) -> Stack:
    built = network(text, **fields)
    assert isinstance(built, Stack)
    return built


def test_layernorm_forward_normalises_each_sample_over_its_features():
    s = _stack("input:4, layernorm:1/1000", batch=3)
    assert KINDS["layernorm"] is layernorm.KIND and s.parameter_shapes() == {"gamma1": (4, 1), "beta1": (4, 1)}
    g = Graph(s)
    rng = np.random.default_rng(3)
    x, gamma, beta = rng.normal(size=(4, 3)), rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    at = {**dict(zip(g.H[0], x.ravel(), strict=True)), **dict(zip(g.values[1]["gamma"], gamma.ravel(), strict=True)),
          **dict(zip(g.values[1]["beta"], beta.ravel(), strict=True))}
    got = np.array(g.out[1].xreplace(at).evalf(30), dtype=float)
    want = gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3) + beta
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("text, batch", [("input:3, layernorm, tanh, dense:1", 2),
                                         ("input:2, dense:3, layernorm:1/100, dense:2", 3)])
def test_every_partial_of_a_layernorm_stack_is_proved_exactly(text, batch):
    s = _stack(text, batch=batch)
    report = verify_stack(s)
    assert report.ok, report.table()
    assert len(report.parameters) == s.parameter_count + s.input * batch
    assert {r.status for r in report.parameters} == {"proved"}


def test_batchnorms_backward_copied_to_layernorm_is_refuted():
    s = _stack("input:3, layernorm, dense:1", batch=2)
    wrong = dataclasses.replace(s, layers=(layernorm.planted_gain_outside_the_sums("", (3,)),) + s.layers[1:])
    report = verify_stack(wrong)
    assert not report.ok
    bad = report.counterexample()
    assert bad.name.startswith("dE/dX") and bad.point
    assert all(r.status == "proved" for r in report.parameters if not r.name.startswith("dE/dX"))
    g = Graph(wrong)
    at = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in bad.point.items()}
    i, c = (int(t) - 1 for t in bad.name[bad.name.index("[") + 1:-1].split(","))
    difference = (g.local(1, g.H[0][i, c]) - g.backward(1)[0][0][i, c]).xreplace(at)
    assert abs(float(difference.evalf(30))) == pytest.approx(bad.residual, rel=1e-9) and bad.residual > 1e-20


def test_the_generated_backward_matches_torch_layer_norm():
    torch = pytest.importorskip("torch")
    n, m = 4, 5
    s = _stack(f"input:{n}, layernorm:1/1000", batch=m)
    rng = np.random.default_rng(1)
    params, (X, Y) = random_params(s, rng), random_data(s, m, rng)
    grads = LayerCode(s, m).gradient(params, X, Y)
    x = torch.tensor(X.T.copy(), requires_grad=True)                         # torch: (samples, features)
    gamma = torch.tensor(params["gamma1"][:, 0], requires_grad=True)
    beta = torch.tensor(params["beta1"][:, 0], requires_grad=True)
    y = torch.nn.functional.layer_norm(x, (n,), gamma, beta, eps=1e-3)
    (((y - torch.tensor(Y.T)) ** 2).sum() / 2 / m).backward()
    np.testing.assert_allclose(grads["X"], x.grad.numpy().T, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads["gamma1"][:, 0], gamma.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads["beta1"][:, 0], beta.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_gradcheck_of_a_layernorm_stack_passes_and_the_planted_rule_fails():
    s = _stack("input:3, dense:4, layernorm, tanh, dense:2", batch=6)
    rng = np.random.default_rng(0)
    params, (X, Y) = random_params(s, rng), random_data(s, 6, rng)
    report = gradcheck_stack(s, params, X, Y)
    assert report.ok, report.table()
    by = {c.reference: c for c in report.comparisons}
    assert by["central differences"].worst < 1e-7 and by["complex step"].worst < 1e-13
    for library in ("torch", "jax"):
        if library in by:
            assert by[library].worst < 1e-12 and not by[library].refused
    wrong = dataclasses.replace(s, layers=s.layers[:1] + (layernorm.planted_gain_outside_the_sums("", (3, 4)),)
                                + s.layers[2:])
    assert not gradcheck_stack(wrong, params, X, Y).ok


@pytest.mark.parametrize("text, message", [
    ("input:3, layernorm:0, dense:1", "layernorm:ε takes ε exactly"),
    ("input:3, layernorm:2, dense:1", "layernorm:ε takes ε exactly"),
    ("input:3, layernorm:x, dense:1", "layernorm:ε takes ε exactly"),
    ("input:1, layernorm, dense:1", "at least 2 rows"),
])
def test_bad_layernorm_arguments_are_one_line(text, message):
    with pytest.raises(SpecError) as error:
        network(text)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_command_line_verifies_and_gradchecks_a_layernorm_stack():
    script = shutil.which("symbackprop")
    assert script
    run = lambda *args: subprocess.run([script, *args], capture_output=True, text=True, timeout=300)  # noqa: E731
    ok = run("verify", "--layers", "input:3, layernorm, tanh, dense:1", "--batch", "2")
    assert ok.returncode == 0 and "16 partials: 16 proved, 0 numeric, 0 refuted" in ok.stdout, ok.stdout + ok.stderr
    ok = run("gradcheck", "--layers", "input:3, layernorm:1/1000, tanh, dense:1", "--batch", "3")
    assert ok.returncode == 0 and "complex step" in ok.stdout and "0 failed" in ok.stdout, ok.stdout + ok.stderr
    bad = run("verify", "--layers", "input:3, layernorm:0, dense:1")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "layernorm:ε" in bad.stderr, bad.stderr
