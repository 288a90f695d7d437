"""Each seed's derivation, display by display: every member of every display checked on the seed's
instance network, a planted error in a member caught, each slip's line as written shown wrong."""
import re

import numpy as np
import pytest
import sympy as sp

from symbackprop import Network, derive, preset
from symbackprop.symbolic.verify import FAILED, PROVED
from symbackprop.writeup import seed000, seed001, seed002
from symbackprop.writeup.document import document
from symbackprop.writeup.layout import render_template
from symbackprop.writeup.numbers import number as printed_number
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
    assert f"${printed_number(seed_value, 6)}$" in text and f"{true_value:.6g}" in text    # -4.64184 \times 10^{-5}


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
    assert "The post names no $\\delta$ and boxes nothing" in text
    # cited by title, never by our id: a student does not know what "seed 000" is
    assert "the blog post ``Neural Networks - Back-propagation Derivation'' (January 2023)" in text   # TeX's quotes
    assert "seed 000" not in text.lower() and "the seed" not in text


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


# Every display of each seed, by its number, in the seed's order: read off /work/shared/seeds/00*_*.txt.
# Seeds 000 and 002 number none (numbered [k] here); seed 001 has no (4) and no (38), and three unnumbered
# displays, named by the one they follow.
SEED_DISPLAYS = {
    "000": [f"[{k}]" for k in range(1, 9)],
    "001": ["(1)", "(1a)", "(2)", "(3)", "(5)", "(6)", "(7)", "(8)", "(8a)", "(after 8a)", "(after 8a, 2)", "(9)",
            "(10)", "(11)", "(12)", "(13)", "(14)", "(15)", "(15a)", "(16)", "(17)", "(17a)", "(18)", "(19)", "(20)",
            "(21)", "(22)", "(23)", "(24)", "(25)", "(26)", "(27)", "(28)", "(29)", "(29a)", "(30)", "(after 30)",
            "(31)", "(32)", "(33)", "(33a)", "(34)", "(35)", "(36)", "(37)", "(39)", "(40)", "(41)", "(42)", "(43)",
            "(44)", "(45)", "(46)", "(47)", "(48)"],
    "002": [f"[{k}]" for k in range(1, 12)],
}
SEED_NETWORKS = {"000": ("matrix", preset("matrix", (2, 3, 1))),
                 "001": ("theta", Network(sizes=(2, 3, 1), activations="sigmoid", loss="bce", batch=2)),
                 "002": ("ufldl", Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=1))}


@pytest.fixture(scope="module")
def rendered():
    out = {}
    for seed, (notation, net) in SEED_NETWORKS.items():
        doc = document(derive(net), notation=notation)
        out[seed] = render_template("derivation.tex.j2", doc), render_template("derivation.md.j2", doc)
    return out


@pytest.mark.parametrize("seed", list(SEED_DISPLAYS))
def test_every_display_of_the_seed_is_in_the_document_in_order(seed, rendered):
    tex, md = rendered[seed]
    displays = [c.display for c in checked(seed)]
    assert [d.number for d in displays] == SEED_DISPLAYS[seed]
    assert len(SEED_DISPLAYS[seed]) == {"000": 8, "001": 55, "002": 11}[seed]
    positions = []
    for d in displays:
        name = {"000": "Post", "001": "Brawer", "002": "Post"}[seed]
        tag = f"\\tag*{{{name} {d.number}"                       # the source's name: never mistaken for ours
        tags = [f"{tag} as written}}", f"{tag} corrected}}"] if d.kind == "slip" else [f"{tag}}}"]
        for tag in tags:
            assert tex.count(tag) == 1, (seed, tag)
        assert d.tex in tex and d.tex in md, (seed, d.number)                 # the maths as the seed writes it
        if d.kind == "slip":
            assert d.corrected in tex and d.corrected in md and "Why the line as written is wrong:" in md
        marker = f"**{name} {d.number}, a slip.**" if d.kind == "slip" else f"**{name} {d.number}**"
        assert md.count(marker) == 1, (seed, marker)
        positions.append(tex.index(tags[0]))
    assert positions == sorted(positions)                                      # in the seed's order
    whose = {"000": "the post's", "001": "Brawer's", "002": "the post's"}[seed]
    assert f"every display of {whose} derivation, {len(SEED_DISPLAYS[seed])} in all" in md and "Fails" not in md
    numbers = md.index("Worked numbers") if "## 8. Worked numbers" in md else md.index("No worked numbers follow")
    assert md.index(f"## Appendix A. {whose[:1].upper()}{whose[1:]} derivation") > numbers       # seed 000: generic


def test_a_network_the_seed_does_not_derive_for_gets_one_sentence():
    doc = document(derive(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2)), notation="ufldl")
    md = render_template("derivation.md.j2", doc)
    assert "display by display" not in md                                        # no appendix, and
    # review 9: the notation is the post's, its derivation is not for this network: said once, in section 1
    assert md.count("derives for") == 1 and "so for this network the steps are this document's own" in md
    teacher = render_template("derivation.md.j2", {**doc, "edition": "teacher"})
    assert ("The post derives for half squared error, sigmoid activations, one sample without weight decay; this "
            "network differs" in teacher)


def test_the_posts_counterexamples_give_a_point_a_reader_can_redo():
    """Review 5: 'at the point where the k-th parameter or datum is ((k mod 7) − 3)/4' could not be redone (which
    order? from k = 0?). The point is written out; NumPy, from the printed matrices alone, gets the printed J and
    the printed ∂J/∂b^{(2)}_1 (central differences)."""
    doc = document(derive(preset("ufldl")), notation="ufldl")
    md = render_template("derivation.md.j2", doc)
    lines = [line for line in md.splitlines() if line.startswith("Why the line as written is wrong: ")
             and "smallmatrix" in line]
    assert len(lines) == 2

    def matrices(line):
        found = re.findall(r"\$([A-Za-z]+)(?:\^\{\((\d)\)\})? = \\left\(\\begin\{smallmatrix\} (.*?) "
                           r"\\end\{smallmatrix\}\\right\)\$", line)
        return {name + layer: np.array([[float(v) for v in row.split("&")] for row in body.split(r"\\")])
                for name, layer, body in found}

    def J(m, b2=0.0):
        a = m["x"]
        for l in (1, 2, 3):
            a = 1 / (1 + np.exp(-(m[f"W{l}"] @ a + m[f"b{l}"] + (b2 if l == 2 else 0))))
        return 0.5 * float(np.sum((a - m["y"]) ** 2))

    first, second = (matrices(line) for line in lines)
    assert set(first) == {"W1", "b1", "W2", "b2", "W3", "b3", "x", "y"} and first.keys() == second.keys()
    printed_J = float(re.search(r"while \$J = ([-\d.]+)\$", lines[0])[1])
    assert abs(J(first) - printed_J) < 1e-8
    h, bump = 1e-6, np.array([[1.0], [0.0]])
    fd = (J(second, h * bump) - J(second, -h * bump)) / (2 * h)
    printed = float(re.search(r"\\partial J/\\partial b\^\{\(2\)\}_\{1\} = ([-\d.]+)\$", lines[1])[1])
    assert abs(fd - printed) < 1e-8 and "bmod" not in md
