"""Each seed's own equations, in its own symbols and index ranges, hold; each slip is shown wrong."""
import pytest
import sympy as sp

from symbackprop import derive, preset
from symbackprop.symbolic.derive import Step
from symbackprop.symbolic.verify import FAILED, PROVED, check_step
from symbackprop.writeup.seeds import SLIPS, MatrixSeed, SeedIndexError, UfldlSeed, check_seed, equations

CASES = [("matrix", (2, 3, 1)), ("matrix", (2, 2, 2, 2)), ("theta", (2, 3, 1)), ("theta", (3, 4, 4, 2)),
         ("ufldl", (2, 3, 1)), ("ufldl", (2, 2, 2, 1))]


@pytest.mark.parametrize("name, sizes", CASES)
def test_seed_equations_are_proved(name, sizes):
    results = check_seed(name, sizes)
    assert results and all(r.status == PROVED for r in results), [r for r in results if r.status != PROVED][:2]


def test_seeds_cover_every_parameter():
    d = derive(preset("theta", (2, 3, 1)))
    labels = [eq.label for eq in equations("theta", d)]
    assert sum(label.startswith("(44)") for label in labels) == 6 + 3      # θ^(1): 3x2 weights, θ^(2): 1x3
    assert sum(label.startswith("(46)") for label in labels) == 3 + 1      # bias column q = 0
    assert sum(label.startswith(("(42)", "(43)")) for label in labels) == (3 + 1) * 2   # per node, per sample


def test_theta_equations_are_written_in_the_seeds_symbols():
    d = derive(preset("theta", (2, 3, 1)))
    eq = next(e for e in equations("theta", d) if e.label.startswith("(44) ∂J/∂θ^(1)_2,1"))
    names = {s.base.name for s in eq.claim.atoms(sp.Indexed)}
    assert names == {"delta", "z"}                  # δ^(2)_2 and h^(1)(z^(1)_1) = x_1


def test_presets_set_each_seeds_network():
    assert (preset("matrix").loss, preset("matrix").activations) == ("mse", "generic")
    assert (preset("theta").loss, preset("theta").activations) == ("bce", "sigmoid")
    assert (preset("ufldl").loss, preset("ufldl").batch) == ("mse", 1)


def test_slip_000_output_range_n_l_minus_1_names_units_that_do_not_exist():
    """Seed 000 ranges ∂E/∂A^L_ic over i = 1..n^{l-1}; at l = L that is 3 units for an output of 1."""
    assert "n^{l−1}" in SLIPS["000"]
    with pytest.raises(SeedIndexError, match=r"A\^2: unit index 2 is outside 1..1"):
        check_seed("matrix", (2, 3, 1), slip=True)


def test_slip_001_sum_from_zero_needs_a_sample_that_does_not_exist():
    """Eqs (41), (44), (46) sum i = 0..m: m + 1 terms for J's m samples (eq. 18 sums i = 1..m)."""
    with pytest.raises(SeedIndexError, match="sample index 0 is outside 1..2"):
        check_seed("theta", (2, 3, 1), slip=True)


def test_slip_002_bias_line_with_the_wrong_error_fails():
    """ε^(l)_q in place of ε^(L)_q: wrong for b^(2) of a 3-layer network; ε^(1) does not even exist."""
    d = derive(preset("ufldl", (2, 2, 2, 1)))
    seed = UfldlSeed(d)
    right, wrong = seed.bias_line(2, 1, slip=False), seed.bias_line(2, 1, slip=True)
    assert check_step(d, Step("right", right.truth, seed.translate(right.claim))).status == PROVED
    result = check_step(d, Step("slip", wrong.truth, seed.translate(wrong.claim)))
    assert result.status == FAILED and result.counterexample.direct != pytest.approx(result.counterexample.closed)
    with pytest.raises(SeedIndexError, match=r"z\^\(1\) does not exist"):
        seed.translate(seed.bias_line(1, 1, slip=True).claim)


@pytest.mark.parametrize("name, overrides, message", [
    ("ufldl", {"batch": 2}, "the ufldl seed derives for loss mse, activations sigmoid, batch 1; this network has"),
    ("theta", {"loss": "mse"}, "the theta seed derives for loss bce, activations sigmoid"),
    ("matrix", {"loss": "bce", "activations": "sigmoid"}, "the matrix seed derives for loss mse"),
])
def test_a_seed_is_checked_only_on_the_network_it_derives_for(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        check_seed(name, (2, 3, 1), **overrides)


def test_seed_000_is_checked_against_diff_of_e_not_the_chain_rule():
    """The seed's chain-rule lines are identities between true derivatives: each ∂E/∂(·) comes from
    diff of E written down to that quantity, so a line without its g' factor fails."""
    d = derive(preset("matrix", (2, 2, 1)))
    seed = MatrixSeed(d)
    line = next(e for e in seed.equations() if e.label.startswith("∂E/∂Z^1_11"))
    dropped = line.claim.replace(lambda e: isinstance(e, sp.Derivative), lambda e: 1)
    wrong = check_step(d, Step("no g'", line.compare_as(line.truth), line.compare_as(seed.translate(dropped))))
    right = check_step(d, Step("as stated", line.compare_as(line.truth), line.compare_as(seed.translate(line.claim))))
    assert right.status == PROVED and wrong.status == FAILED
    assert not line.truth.has(*[s for s in line.truth.free_symbols if s.name.startswith("dE_d")])
