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
    # defined at the five sample points but not everywhere: a domain, a pole between grid points, a
    # pole of a non-polynomial, an infinite derivative, float64 overflow inside |z| <= 10
    ("log(z+3)", "at z = -10 is not a real number"),
    ("sqrt(z+3)", "at z = -10 is not a real number"),
    ("1/(z-1)", "at z = 1 is not a real number"),
    ("1/(z-1.0001)", "pole or is undefined at z = 1"),
    ("z/(z^2-2)^2", "pole or is undefined at z = -1.414"),
    ("1/(exp(z)-2)", "pole or is undefined at z = 0.6931"),
    ("sqrt(abs(z))", "derivative at z = 0 is not a real number"),
    ("exp(exp(exp(z)))", "not a real number finite in float64"),
    # a bounded cost: numbers, and powers built by nesting, are refused before they are built
    ("z*1e999999999", "at most 30 digits and an exponent of at most 99"),
    ("z*" + "9" * 31, "at most 30 digits"),
    ("((((((10^10)^10)^10)^10)^10)^10)*z", "more than 1000 bits"),
    ("((((((z^10)^10)^10)^10)^10)^10)", "a power in the formula would exceed 100"),
])
def test_a_formula_that_is_not_allowed_is_one_line(formula, message):
    with pytest.raises(SpecError, match=message) as error:
        Activation.from_formula("mine", formula)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("formula", ["log(abs(z)+1)", "1/(1+z^2)", "(z^2+1)^(1/2)", "z*1e-99", "z^10",
                                     "softplus(z)-log(2)", "exp(z)"])
def test_formulas_defined_everywhere_are_taken(formula):
    Activation.from_formula("mine", formula)


@pytest.mark.parametrize("formula, kinks", [
    ("max(z, 0.1*z)", [0.0]),
    ("max(max(z, 0), 1 - z)", [0.0, 0.5, 1.0]),     # every pair of a Max's arguments: a superset
    ("max(z^2 - 1, 0)", [-1.0, 1.0]),               # a nonlinear argument, exactly
    ("abs(z^3 - 2)", [2 ** (1 / 3)]),
])
def test_kinks_are_found_where_the_derivative_jumps(formula, kinks):
    assert Activation.from_formula("mine", formula).kinks == pytest.approx(kinks)


def test_kinks_of_a_periodic_argument_are_the_nearest_ones():
    kinks = np.array(Activation.from_formula("mine", "abs(sin(z))").kinks)
    assert len(kinks) == 100 and abs(kinks).max() < 50 * np.pi + 1
    assert all(np.abs(kinks - k * np.pi).min() < 1e-9 for k in range(-49, 50))


@pytest.mark.parametrize("spec, message", [
    ("leaky_relu(1e999999999)", "at most 30 digits and an exponent of at most 99"),
    ("leaky_relu(1e-40)", r"in \[1e-6, 1e6\]"),          # a float would be 0.0, not the number proved
    ("elu(alpha=1e7)", r"in \[1e-6, 1e6\]"),
])
def test_parameters_are_bounded(spec, message):
    from symbackprop.model.activations import activation
    with pytest.raises(SpecError, match=message):
        activation(spec)


@pytest.mark.parametrize("spec", ["huber(1e999999999)", "huber(delta=1e-400)", "huber(0)"])
def test_loss_parameters_are_bounded(spec):
    from symbackprop.model.losses import loss
    with pytest.raises(SpecError):
        loss(spec)


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


def test_bce_after_a_softmax_is_stable_and_a_rule_under_test_is_computed_as_it_stands():
    """∂E/∂a = (a − y)/(a(1 − a)) divides by 0 once a softmax output rounds to 1; the matrix route takes δ^L
    from the loss's stable terms instead (equal, by verify's proof), but only for the textbook rule."""
    import dataclasses

    from symbackprop.symbolic.delta import BACKPROP
    net = Network(sizes=(2, 3, 2), activations=["tanh", "softmax"], loss="bce", batch=2)
    d = derive(net)
    params = {k: 100 * v for k, v in random_params(net, np.random.default_rng(0)).items()}
    X = np.array([[1000.0, -1000.0, 0.0, 400.0], [-1000.0, 1000.0, 0.0, -400.0]]) * 3
    Y = random_data(net, 4, np.random.default_rng(1))[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grads = lambdify(d).gradient(params, X, Y)
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    X, Y = random_data(net, 4, np.random.default_rng(2))
    params = random_params(net, np.random.default_rng(3))
    assert gradcheck(d, params, X, Y).ok
    wrong = dataclasses.replace(BACKPROP, output=lambda fp: fp.A[fp.net.depth] - fp.Y)   # cce's, not bce's
    right, computed = lambdify(d).gradient(params, X, Y), lambdify(derive(net, rules=wrong)).gradient(params, X, Y)
    assert not np.allclose(right["W2"], computed["W2"])                     # the wrong rule, not the stable form
    assert not gradcheck(derive(net, rules=wrong), params, X, Y).ok


NAMED = [("sigmoid", "sigmoid"), ("tanh", "tanh"), ("relu", "relu"), ("relu", "ReLU"), ("softplus", "softplus"),
         ("leaky_relu(0.2)", "lrelu"), ("elu", "elu"), ("gelu", "gelu"), ("silu", "silu"), ("silu", "swish"),
         ("softsign", "softsign"), ("sigmoid", "logistic")]


@pytest.mark.parametrize("act, name", NAMED)
def test_an_activation_is_read_in_a_claim_by_its_name(act, name):
    """Each entry's name (and the aliases it lists) reads in a claim: its derivative proves the hidden δ on a
    network of that activation (leaky_relu with the network's own slope) and is refuted on one of another."""
    right = derive(Network(sizes=(2, 2, 1), activations=act, batch=1))
    assert check(right, f"delta1 = (W2.T @ delta2) * {name}'(Z1)").status == "proved"
    assert check(right, rf"\delta^1 = (W^2)^T \delta^2 \odot \operatorname{{{name}}}'(Z^1)").status == "proved"
    other = "tanh" if act != "tanh" else "sigmoid"
    wrong = derive(Network(sizes=(2, 2, 1), activations=(other, act), batch=1))
    assert not check(wrong, f"delta1 = (W2.T @ delta2) * {name}'(Z1)", diagnose=False).ok


def test_tanh_by_name_with_a_prime_is_its_derivative():
    d = derive(Network(sizes=(2, 2, 1), activations="tanh", batch=2))
    assert check(d, r"\delta^1 = (W^2)^T \delta^2 \odot \tanh'(Z^1)").status == "proved"
    assert check(d, "delta1 = (W2.T @ delta2) * (1 - tanh(Z1)^2)").status == "proved"
    assert not check(d, "delta1 = (W2.T @ delta2) * tanh(Z1)", diagnose=False).ok
