"""Every activation and loss entry through the whole pipeline: derived and proved, lambdified stably,
gradchecked against every reference that knows it, written up, and its hidden rule read in a claim;
and activations from a user's formula, read without eval."""
import warnings

import numpy as np
import pytest

from symbackprop import Activation, Network, SpecError, check, derive, gradcheck, lambdify, render, verify
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.model.losses import LOSSES
from symbackprop.numeric.arrays import random_data, random_params

HIDDEN = [n for n, a in ACTIVATIONS.items() if a.elementwise and a.concrete] + ["z*sigmoid(z)", "leaky_relu(0.2)"]
PAIRS = [(act, "mse") for act in HIDDEN] + [("tanh", loss) for loss in ("huber", "huber(0.3)", "mae")]


def _network(act: str, loss: str) -> Network:
    return Network(sizes=(2, 3, 2), activations=act, loss=loss, batch=2)


@pytest.mark.parametrize("act, loss", PAIRS)
def test_every_entry_is_proved_and_agrees_with_every_reference(act, loss):
    net = _network(act, loss)
    d = derive(net)
    report = verify(d)
    assert report.ok, report
    rng = np.random.default_rng(11)
    params = random_params(net, rng)
    X, Y = random_data(net, 6, rng)
    table = gradcheck(d, params, X, Y)
    assert table.ok, table.table()
    compared = {c.reference for c in table.comparisons}
    rule = net.rule(1)
    if rule.numpy is not None and net.loss_rule.numpy is not None:
        assert "hand-written NumPy back-prop" in compared and "autograd" in compared
    else:                                   # refused, with the reason: never another formula
        assert "no hand-written" in table.skipped["hand-written"]
    assert ("complex step" in compared) == (rule.analytic and net.loss_rule.analytic)


@pytest.mark.parametrize("act, loss", PAIRS)
def test_every_entry_is_stable_at_1000(act, loss):
    """No warning (warnings are errors), no NaN or inf, in the gradient at |z| of a thousand."""
    net = _network(act, loss)
    f = lambdify(derive(net))
    params = random_params(net, np.random.default_rng(0))
    X = np.array([[1000.0, -1000.0, 0.0, 400.0], [-1000.0, 1000.0, 0.0, -400.0]]) * 3
    Y = random_data(net, 4, np.random.default_rng(1))[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grads = f.gradient(params, X, Y)
    assert all(np.all(np.isfinite(g)) for g in grads.values())


@pytest.mark.parametrize("act", ["leaky_relu", "elu", "gelu", "silu", "softsign"])
def test_new_activations_are_written_up_and_read_in_claims(act):
    d = derive(Network(sizes=(2, 2, 1), activations=act, loss="mse", batch=2))
    assert r"\boxed" in render(d, fmt="latex")
    assert check(d, "delta1 = (W2.T @ delta2) * g1'(Z1)").ok
    assert not check(d, "delta1 = (W2.T @ delta2)", diagnose=False).ok          # g′ forgotten: refuted


def test_from_formula_is_the_same_activation_as_its_entry():
    swish = Activation.from_formula("swish", "z / (1 + exp(-z))")
    d = derive(Network(sizes=(1, 2, 1), activations=swish, batch=1))
    silu = derive(Network(sizes=(1, 2, 1), activations="silu", batch=1))
    assert (d.partial("W1[1,1]") - silu.partial("W1[1,1]")).equals(0)


@pytest.mark.parametrize("formula, message", [
    ("3", "does not depend on z"),
    ("log(z)", "not a real differentiable function of z"),
    ("1/z", "not a real differentiable function of z"),
    ("__import__('os').system('true')", "unexpected"),
    ("z.real", "unexpected '.'"),
    ("foo(z)", "unknown name 'foo'"),
    ("z**z", "an exponent must be a number"),
    ("(" * 40 + "z" + ")" * 40, "nested too deeply"),
])
def test_a_formula_that_is_not_allowed_is_one_line(formula, message):
    with pytest.raises(SpecError, match=message) as error:
        Activation.from_formula("mine", formula)
    assert "\n" not in str(error.value)


def test_losses_without_references_are_not_the_classic_three():
    assert [n for n, rule in LOSSES.items() if rule.suggest] == ["mse", "bce", "cce"]


def test_the_command_line_takes_a_formula_and_refuses_a_bad_one(tmp_path):
    import shutil
    import subprocess
    script = shutil.which("symbackprop")
    assert script, "pip install . puts symbackprop on PATH"
    ok = subprocess.run([script, "verify", "--sizes", "2,2,1", "--activation", "tanh,max(z, 0.1*z)"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "9 proved" in ok.stdout, ok.stderr
    bad = subprocess.run([script, "verify", "--activation", "z*open(z)"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "unknown name 'open'" in bad.stderr
