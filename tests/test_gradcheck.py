"""gradcheck: every reference agrees on correct gradients, and each says no to a planted slip."""
import importlib.util
import json
import os

import numpy as np
import pytest
from helpers import planted

from symbackprop import Network, SpecError, derive, gradcheck
from symbackprop.numeric import handwritten
from symbackprop.numeric.arrays import random_data, random_params
from symbackprop.numeric.gradcheck import SWEEP, TOLERANCES, central_differences

NET = Network(sizes=(3, 4, 2), activations=("tanh", "sigmoid"), loss="bce", weight_decay=0.05)


def _inputs(net=NET, m=6, seed=0):
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    X, Y = random_data(net, m, rng)
    return params, X, Y


def _installed_or_required(module: str) -> None:
    """Optional references run where installed; under CI the install step must have put them there."""
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is installed by `make test` (extra 'autodiff'); CI must not skip it")
        pytest.skip(f"{module} not installed")


def test_every_reference_agrees_on_a_correct_gradient():
    for module in ("autograd", "jax", "torch"):
        _installed_or_required(module)
    report = gradcheck(NET, *_inputs())
    assert report.ok, report.table()
    references = {c.reference for c in report.comparisons}
    assert references == {"route direct", "route delta", "central differences", "complex step",
                          "hand-written NumPy back-prop", "autograd", "jax", "torch"}
    assert not report.skipped
    for c in report.comparisons:
        assert c.entries == {"W1": 12, "b1": 4, "W2": 8, "b2": 2}[c.array]
        bound = {"central differences": 1e-8}.get(c.reference, 1e-14)
        assert c.max_abs < bound, (c.reference, c.array, c.max_abs)
    import jax.numpy as jnp
    assert jnp.asarray(1.0).dtype == jnp.float32        # JAX compared in float64 without changing the caller's default


def test_tolerances_are_stricter_than_torch_gradcheck_float64_defaults():
    for atol, rtol in TOLERANCES.values():
        assert atol < 1e-5 and rtol < 1e-3


def test_step_sweep_shows_truncation_then_round_off():
    report = gradcheck(NET, *_inputs(), references=("central differences",))
    errors = dict(report.sweep)
    assert [h for h, _ in report.sweep] == list(SWEEP)
    best = min(errors, key=errors.get)
    assert 1e-7 <= best <= 1e-4                               # the V's bottom, near ε^(1/3) ≈ 6e-6
    assert errors[1e-1] > 100 * errors[best]                  # truncation error ~h² on the left
    assert errors[1e-2] / errors[1e-3] > 20                   # …falling with h² (100x per decade, noise allowed)
    assert errors[1e-12] > 100 * errors[best]                 # round-off error ~ε/h on the right


def test_a_user_gradient_with_a_slip_fails_and_names_the_worst_entry():
    params, X, Y = _inputs()
    mine = handwritten.gradient(NET, params, X, Y)
    assert gradcheck(NET, params, X, Y, gradients=mine, references=("yours",)).ok
    mine["W2"][1, 2] += 1e-6
    report = gradcheck(NET, params, X, Y, gradients=mine, references=("yours",))
    assert not report.ok
    [failure] = report.failed
    assert (failure.reference, failure.array, failure.worst) == ("your gradients", "W2", "W2[2,3]")
    assert failure.max_abs == pytest.approx(1e-6, rel=1e-6)


def test_a_transposed_user_gradient_fails():
    params, X, Y = _inputs(Network(sizes=(3, 3, 1)))
    mine = handwritten.gradient(Network(sizes=(3, 3, 1)), params, X, Y)
    mine["W1"] = mine["W1"].T.copy()
    assert not gradcheck(Network(sizes=(3, 3, 1)), params, X, Y, gradients=mine, references=("yours",)).ok


@pytest.mark.parametrize("slip", ["missing 1/m", "transposed weight", "missing g' factor", "no decay term"])
@pytest.mark.parametrize("route", ["delta", "matrix"])
def test_every_numeric_reference_refuses_a_planted_wrong_delta_equation(slip, route):
    net = Network(sizes=(3, 3, 3), activations="tanh", weight_decay=0.1)   # square W2: W2 δ is defined
    report = gradcheck(derive(net, rules=planted(slip)), *_inputs(net), route=route,
                       references=("central differences", "complex step", "hand-written", "autograd", "routes"))
    failing = {c.reference for c in report.failed}
    assert {"central differences", "complex step", "hand-written NumPy back-prop", "autograd",
            "route direct"} <= failing
    worst = report.failed[0]
    assert worst.worst.startswith(worst.array + "[") and worst.max_rel > 1e-3


def test_complex_step_is_skipped_for_relu_and_says_why():
    net = Network(sizes=(2, 3, 1), activations=("relu", "sigmoid"))
    report = gradcheck(net, *_inputs(net), references=("complex step", "hand-written"))
    assert {c.reference for c in report.comparisons} == {"hand-written NumPy back-prop"}
    assert "relu is not analytic" in report.skipped["complex step"]


def test_central_differences_alone_refuse_a_wrong_gradient():
    """The FD judge itself: a gradient off by 1e-4 in one entry fails, not hidden by its tolerance."""
    params, X, Y = _inputs()
    good = handwritten.gradient(NET, params, X, Y)
    fd = central_differences(lambda p: handwritten.loss(NET, p, X, Y), params, None)
    from symbackprop.numeric.gradcheck import compare
    assert all(c.passed for c in compare("central differences", good, fd, TOLERANCES["central differences"]))
    good["b1"][0] += 1e-4 + 1e-4 * abs(good["b1"][0])
    assert [c.array for c in compare("central differences", good, fd, TOLERANCES["central differences"])
            if not c.passed] == ["b1"]


def test_large_networks_check_a_sample_of_entries():
    net = Network(sizes=(100, 60, 3), activations=("tanh", "softmax"), loss="cce")
    report = gradcheck(net, *_inputs(net, m=4), references=("central differences", "hand-written"))
    assert report.ok, report.table()
    sampled = {c.array: c.entries for c in report.comparisons if c.reference == "central differences"}
    assert sampled == {"W1": 64, "b1": 60, "W2": 64, "b2": 3}


def test_report_as_json():
    report = gradcheck(NET, *_inputs(), references=("hand-written",))
    out = json.loads(json.dumps(report.to_dict()))
    assert out["ok"] is True and out["route"] == "matrix"
    assert out["comparisons"][0]["worst"].startswith("W1[")


def test_symbolic_weight_decay_needs_a_value():
    net = Network(sizes=(2, 2, 1), weight_decay="lam")
    params, X, Y = _inputs(net)
    with pytest.raises(SpecError, match="weight decay is the symbol lam: give it a value"):
        gradcheck(net, params, X, Y)
    assert gradcheck(net, params, X, Y, weight_decay=0.2, references=("hand-written", "central differences")).ok


def test_a_relu_kink_within_reach_skips_finite_differences_and_autodiff_keeps_the_convention():
    for at_zero in (0, 1):
        net = Network(sizes=(2, 3, 1), activations=("relu", "sigmoid"), relu_at_zero=at_zero)
        params, X, Y = _inputs(net)
        params["b1"][:] = 0.0
        X[:, 0] = 0.0
        report = gradcheck(net, params, X, Y, references=("central differences", "hand-written", "autograd"))
        assert report.ok, report.table()
        assert "from its kink" in report.skipped["central differences"]
        assert {c.reference for c in report.comparisons} == {"hand-written NumPy back-prop", "autograd"}


@pytest.mark.parametrize("references, message", [
    (("central-differences",), "unknown reference 'central-differences'; allowed: routes, central differences"),
    ("routes", "references must be a tuple of names"),
    ((), "references is empty"),
])
def test_a_comparison_that_would_compare_nothing_is_refused(references, message):
    with pytest.raises(SpecError, match=message):
        gradcheck(NET, *_inputs(), references=references)


def test_nothing_compared_is_an_error_not_a_pass():
    net = Network(sizes=(2, 3, 1), activations=("relu", "sigmoid"))
    with pytest.raises(SpecError, match="nothing was compared: complex step: relu is not analytic"):
        gradcheck(net, *_inputs(net), references=("complex step",))


def test_the_worst_failure_is_the_one_furthest_outside_its_tolerance():
    params, X, Y = _inputs()
    mine = handwritten.gradient(NET, params, X, Y)
    mine["W1"][0, 0] += 1e-8
    mine["b2"][1] += 1e-3
    report = gradcheck(NET, params, X, Y, gradients=mine, references=("yours",))
    assert [c.array for c in report.failed] == ["b2", "W1"] and report.failed[0].worst == "b2[2]"


@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_float64_overflow_is_said_in_one_line_not_as_a_table_of_failures(activation):
    """Weights of 1e160 make E = inf in float64: every reference used to 'fail' (28 of 28) against an inf
    gradient, as if the derivation were wrong. The check now refuses, naming the overflow."""
    net = Network(sizes=(2, 3, 1), activations=activation, loss="mse", batch=2)
    rng = np.random.default_rng(0)
    params = {k: np.full_like(v, 1e160) for k, v in random_params(net, rng).items()}
    X, Y = random_data(net, 2, rng)
    with pytest.raises(SpecError, match=r"float64 overflows at these parameters and data \(E = inf\)"):
        gradcheck(net, params, X, Y)
    sane = {k: v * 1e-160 for k, v in params.items()}                        # the same network, in range
    assert gradcheck(net, sane, X, Y).ok


def test_an_overflowed_gradient_entry_is_named():
    from symbackprop.numeric.gradcheck import _refuse_overflow
    _refuse_overflow(1.0, {"W1": np.ones((2, 2))})                           # finite: nothing to say
    with pytest.raises(SpecError, match=r"the generated ∂E/∂W1\[2,1\] is nan"):
        _refuse_overflow(1.0, {"b1": np.ones(2), "W1": np.array([[1.0, 2.0], [np.nan, np.inf]])})


def test_a_saturated_network_prints_no_library_warning():
    """Sigmoid weights of 1e160 saturate every unit: E stays finite and every reference agrees (gradients 0), but
    autograd's inf · 0 in a branch the gradient does not use printed a RuntimeWarning on stderr."""
    import warnings
    net = Network(sizes=(2, 2, 1), activations="sigmoid", loss="mse", batch=4)
    rng = np.random.default_rng(0)
    params = {k: np.full_like(v, 1e160) for k, v in random_params(net, rng).items()}
    X, Y = random_data(net, 4, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # any warning fails the test (pytest's own filter aside)
        assert gradcheck(net, params, X, Y).ok
