"""Each seed's derivation, display by display: every member of every display checked on the seed's
instance network, a planted error in a member caught, each slip's line as written shown wrong."""
import pytest
import sympy as sp

from symbackprop import Network, derive, preset
from symbackprop.symbolic.verify import FAILED, PROVED
from symbackprop.writeup import seed000, seed001, seed002
from symbackprop.writeup.document import document
from symbackprop.writeup.layout import render_template
from symbackprop.writeup.seed_displays import checked, instance, point_value


def test_seed_002_every_display_checked_and_held():
    rows = {c.display.number: c for c in checked("002")}
    assert list(rows) == [f"[{k}]" for k in range(1, 12)]
    assert all(c.ok and c.proved == len(c.results) for c in rows.values())
    net = instance("002")                                  # 2-2-2-1: seed layers 1..4, W^(1..3)
    weights = sum(net.sizes[k] * net.sizes[k + 1] for k in range(net.depth))
    assert len(rows["[8]"].results) == 7 * weights         # seven rows for every weight
    assert len(rows["[11]"].results) == weights + sum(net.sizes[1:]) + sum(net.sizes[1:-1]) + net.sizes[-1]
    assert {c.display.kind for c in rows.values() if not c.results} <= {"definition", "quantity", "slip"}


def _check(t, members):
    return t.check(members, {})


def test_seed_002_a_member_without_its_sigma_prime_fails():
    """Row 4 of [8] with σ'(z^(L)_q) dropped: the check must catch it at every weight."""
    t = seed002.Seed(derive(instance("002")))
    row4 = [m for m in t.weight_chain() if m.name.startswith("[8] row 4")]
    assert all(r.status == PROVED for r in _check(t, row4))
    dropped = [type(m)(m.name, m.claim.replace(lambda e: getattr(e, "func", None) == seed002.sigma_prime,
                                               lambda e: sp.Integer(1)), m.truth) for m in row4]
    assert all(r.status == FAILED for r in _check(t, dropped))


def test_seed_002_bias_line_as_written_fails_and_corrected_holds():
    t = seed002.Seed(derive(instance("002")))
    assert all(r.status == PROVED for r in _check(t, t.bias_line()))
    wrong = [m for m in t.bias_line(error_layer=2) if "b^(2)" in m.name]
    assert all(r.status == FAILED for r in _check(t, wrong))
    numbers = seed002.Seed(derive(Network(**seed002.NUMBERS)))
    m = next(m for m in numbers.bias_line(error_layer=2) if m.name == "[10] for b^(2)_1")
    seed_value, true_value = point_value(numbers, m.claim), point_value(numbers, m.truth)
    assert abs(seed_value - true_value) > 1e-3
    text = next(c.counterexample for c in checked("002") if c.display.number == "[10]")
    assert f"{seed_value:.6g}" in text and f"{true_value:.6g}" in text


def test_seed_000_every_display_checked_with_its_middle_factors():
    rows = {c.display.number: c for c in checked("000")}
    assert list(rows) == [f"[{k}]" for k in range(1, 9)]
    assert all(c.ok and c.proved == len(c.results) for c in rows.values())
    for number in ("[4]", "[5]", "[6]", "[7]"):                 # the middle (∂Z/∂W, ∂A/∂Z, ∂Z/∂A) and the right
        names = [r.name for r in rows[number].results]
        assert sum("middle" in n for n in names) == sum("right" in n for n in names) > 0


def test_seed_000_a_member_without_its_g_prime_fails():
    t = seed000.Seed(derive(instance("000")))
    right = [m for m in t.pre_activations() if m.name.startswith("[6] right")]
    dropped = [type(m)(m.name, m.claim.replace(lambda e: getattr(e, "func", None) == seed000.gprime,
                                               lambda e: sp.Integer(1)), m.truth) for m in right]
    assert all(r.status == PROVED for r in _check(t, right))
    assert all(r.status == FAILED for r in _check(t, dropped))


def test_seed_000_range_as_written_names_output_units_that_do_not_exist():
    t = seed000.Seed(derive(instance("000")))
    L, n = t.L, t.n
    assert n[L - 1] > n[L]
    with pytest.raises(IndexError, match=rf"A\^{L}_{n[L - 1]}1 does not exist"):
        _check(t, t.output(units=n[L - 1]))


def test_seed_000_document_says_where_the_boxed_equations_come_from():
    doc = document(derive(preset("matrix", (2, 3, 1))), notation="matrix")
    text = render_template("derivation.tex.j2", doc)
    assert "boxed equations above are that\nseed's own" not in text and "that seed's own" not in text
    assert "The seed names no $\\delta$ and boxes nothing" in text


def test_seed_001_every_display_checked_and_the_build_up_is_there():
    rows = {c.display.number: c for c in checked("001")}
    assert all(c.ok and c.proved == len(c.results) for c in rows.values())
    for number in ("(21)", "(26)", "(34)", "(40)", "(45)", "(47)", "(48)", "(16)", "(29a)", "(36)", "(39)"):
        assert rows[number].results, number                              # checked, not only shown
    assert rows["(31)"].display.kind == "definition" and "M_{j,k}^l" in rows["(31)"].display.tex
    assert {rows[n].display.kind for n in ("(1a)", "(6)", "(7)")} == {"device"}
    assert {n for n, c in rows.items() if c.display.kind == "slip"} == {"(41)", "(44)", "(46)"}


def test_seed_001_the_transpose_of_47_is_checked():
    """(47) reads entry p of θᵀδ as Σ_k δ_k θ_{k,p}: written with θ_{p,k} (no transpose) it fails."""
    t = seed001.Seed(derive(instance("001")))
    assert all(r.status == PROVED for r in _check(t, t.eq47()))
    members = [m for m in t.eq47() if m.name.startswith("(47) l = 2")]      # θ^(2) is square but for column 0
    theta = seed001.theta
    swapped = [type(m)(m.name, m.claim, m.truth.replace(
        lambda e: isinstance(e, sp.Indexed) and e.base == theta, lambda e: theta[e.indices[0], e.indices[2],
                                                                                  e.indices[1]])) for m in members]
    assert any(r.status == FAILED for r in _check(t, swapped))


def test_seed_001_delta_without_psi_fails():
    """(34) with Ψ^(L−1) dropped from M: not m ∂J/∂z^{L−1} any more."""
    t = seed001.Seed(derive(instance("001")))
    wrong = [type(m)(m.name, m.claim.replace(lambda e: getattr(e, "func", None) == seed001.Psi,
                                             lambda e: sp.Integer(1)), m.truth) for m in t.eq34()]
    assert any(r.status == FAILED for r in _check(t, wrong))


def test_seed_001_sums_from_sample_zero_are_refused():
    t = seed001.Seed(derive(instance("001")))
    for members in (t.eq41(first=0), t.eq44(first=0), t.eq46(first=0)):
        with pytest.raises(IndexError, match="sample 0 does not exist"):
            _check(t, members[:1])
