"""Layer numbering as data: nielsen numbers layers as the book does (the input layer 1, w^2 the first weight
matrix, l = 2..L), from two fields of its file (layer_offset 1, weight_offset 1), in the documents, the
parameter names and the claims read, with no branch on the notation's name."""
import dataclasses

import numpy as np
import pytest
import sympy as sp

from symbackprop import SpecError, check, derive, preset, render
from symbackprop.claims.check import ClaimError
from symbackprop.model.notation_file import read
from symbackprop.model.notations import canonical_parameter, notation


@pytest.fixture(scope="module")
def d():
    return derive(preset("nielsen", sizes=(2, 3, 3, 1)))


def test_nielsen_is_numbered_from_one_by_its_file():
    n = notation("nielsen")
    assert (n.layer_offset, n.weight_offset) == (1, 1)
    assert n.parameter("W1[2,1]") == "w2[2,1]" and n.parameter("b3[1]") == "b4[1]"
    assert n.canonical("w2[2,1]") == "W1[2,1]" and canonical_parameter("b4[1]", n) == "b3[1]"
    assert canonical_parameter("b1[1]") == "b1[1]" and canonical_parameter("theta(1)[2,0]") == "b1[2]"
    theta = notation("theta")                        # theta also counts the input as layer 1, but θ^(1) leaves it
    assert (theta.layer_offset, theta.weight_offset) == (1, 0) and theta.parameter("W1[2,1]") == "θ(1)[2,1]"


def test_the_document_prints_bp1_to_bp4_as_the_book_does(d):
    md = render(d, notation="nielsen", fmt="markdown")
    for box in (r"\boxed{\delta^{L}_{j} = \left(a^{L}_{j} - y_{j}\right) {\sigma}'\left(z^{L}_{j}\right)}",
                r"\boxed{\frac{\partial C}{\partial w^{l}_{jk}} = a^{l - 1}_{k} \delta^{l}_{j}}",
                r"\boxed{\frac{\partial C}{\partial b^{l}_{j}} = \delta^{l}_{j}}",
                r"\delta^{l} &= \left(\left(w^{l + 1}\right)^{T} \delta^{l + 1}\right) \odot {\sigma}'\left(z^{l}\right)",
                r"\frac{\partial C}{\partial w^{l}} &= \delta^{l} \left(a^{l - 1}\right)^{T}"):
        assert box in md, box
    assert "Layers are numbered from 1 (the input) and the output layer is $L = 4$" in md
    assert "| 1 | 2 | input |" in md and "| 4 | 1 | sigmoid |" in md
    assert r"$z^{2} = w^{2} x + b^{2}$" in md and r"\mathbf{1}" not in md and r"w^{1}" not in md and r"z^{1}" not in md
    # one example, as the book has it: no samples in the words either
    assert "In components, for every unit:" in md and "In vector form, for the one example" in md
    assert "sample" not in md.split("## 3.")[0].split("## 2.")[1] and "of one example" in md
    assert r"Forward pass: for $l = 2, \dots, L$" in md and r"Gradients: for $l = 2, \dots, L$" in md
    assert r"for $l = L - 1$ down to $2$" in md
    assert r"## 7. A worked example: $w^{2}_{11}$" in md


def test_claims_in_the_books_numbering_mean_the_first_weight_layer(d):
    """∂C/∂w^2_{jk} = a^1_k δ^2_j is the first weight layer's gradient: proved at each of its 6 weights."""
    v = check(d, r"\frac{\partial C}{\partial w^2_{jk}} = a^1_k \delta^2_j", "nielsen")
    assert v.status == "proved" and v.instances == 6
    assert check(d, r"\delta^4 = (a^4 - y) \odot \sigma'(z^4)", "nielsen").status == "proved"
    wrong = check(d, r"\frac{\partial C}{\partial w^2_{jk}} = a^2_k \delta^2_j", "nielsen")
    assert wrong.status == "wrong" and "layer" in [g.kind for g in wrong.diagnoses]
    with pytest.raises(ClaimError, match="no layer|does not exist"):
        check(d, r"\frac{\partial C}{\partial w^1_{jk}} = x_k \delta^1_j", "nielsen")


def test_the_first_weight_layer_by_the_books_name_is_the_engines_w1(d):
    """The worked number for w^2_11 is the engine's ∂E/∂W1[1,1], and differs from its ∂E/∂W2[1,1]."""
    at = {s: sp.Rational(k % 7 - 3, 5) for k, s in enumerate(sorted(d.forward.in_terms_of_parameters(d.E)
                                                                      .free_symbols, key=str))}
    first = float(d.partial(canonical_parameter("w2[1,1]", notation("nielsen")), substitute=True).subs(at))
    assert first == pytest.approx(float(d.partial("W1[1,1]", substitute=True).subs(at)), rel=1e-12)
    assert not np.isclose(first, float(d.partial("W2[1,1]", substitute=True).subs(at)))


def test_a_file_may_number_weights_by_the_layer_they_feed_only_from_one():
    with pytest.raises(SpecError, match="key 'weight_offset' must be 0"):
        read("name = 'c'\nbase = 'matrix'\nweight_offset = 1", "c.toml")
    course = read("name = 'c'\nbase = 'nielsen'", "c.toml")
    assert dataclasses.replace(course, name="nielsen", seed="") == dataclasses.replace(
        notation("nielsen"), seed="", labels={}, book="", source="", glossary_of="", glossary={},
        algorithm_note="")   # the book's numbers, its citation, its letters and its box: not the course's
