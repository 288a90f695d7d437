"""Every equation a write-up prints in symbols, read back by ``check`` in the same notation, is proved.

The document and the checker are two independent readings of one notation: the printer writes our quantities
in the notation's glyphs, the claims reader turns the notation's glyphs back into ours. A student who copies a
line of their handout into ``check`` must never be told it is wrong. This found Ng's worked example printing
dZ^{[1]} = 4 A W dZ^{[2]} (1 − A) (a stray m) and ∂J/∂W = Σ X dZ (a missing 1/m) while its numbers were right,
and, in the per-sample notations at m > 1, ∂J/∂z_{p;i} and the matrix form's (1/m) δ aᵀ read as one sample's.
Lines the claims syntax does not take (a partial ∂z/∂w, a \\substack sum, a claim over the 300-term limit)
are refused in one line, which is not a verdict; a count of proved lines keeps the test from passing on
refusals alone.
"""
import re

import pytest

from symbackprop import SpecError, check, derive, preset
from symbackprop.writeup.document import render, write_up_batch

NOTATIONS = ("matrix", "theta", "ufldl", "nielsen", "ng", "goodfellow", "bishop", "rows")
QUAD = r"&\quad"
NUMBER = re.compile(r"\d\.\d|\\text")          # a line in numbers, or with words: not a claim


def equations(markdown: str) -> list[tuple[str, str]]:
    """(lhs, rhs) of every aligned display: `lhs &= rhs`, then `&= rhs` for the same lhs, a `&\\quad` row
    continuing the rhs above; path lists (→) are not equations."""
    out = []
    for block in re.findall(r"\\begin\{aligned\}\n(.*?)\\end\{aligned\}", markdown, re.S):
        if r"\to" in block:
            continue
        lhs, rhs = "", None
        for row in (r.strip().rstrip("\\").strip() for r in block.split("\\\\\n")):
            if not row:
                continue
            if row.startswith(QUAD):
                rhs = f"{rhs} {row[len(QUAD):].strip()}"
                continue
            if rhs is not None:
                out.append((lhs, rhs))
            if row.startswith("&="):
                rhs = row[2:].strip()
            else:
                lhs, _, rhs = (part.strip() for part in row.partition("&="))
        if rhs is not None:
            out.append((lhs, rhs))
    return out


def verdicts(name: str):
    d = derive(preset(name, batch=write_up_batch(preset(name).sizes)))        # the batch derive writes at
    md = render(d, notation=name, fmt="markdown")
    out = []
    for lhs, rhs in equations(md):
        if NUMBER.search(lhs + rhs):
            continue
        try:
            out.append((f"{lhs} = {rhs}", check(d, f"{lhs} = {rhs}", name)))
        except SpecError:
            continue                           # refused: the claims syntax does not take this line
    return d, md, out


@pytest.mark.parametrize("name", NOTATIONS)
def test_every_printed_equation_is_proved_by_the_checker_in_its_own_notation(name):
    d, md, out = verdicts(name)
    assert d.net.batch > 1
    wrong = [(claim, v) for claim, v in out if not v.ok]
    for claim, v in wrong:                     # softmax + cce: δ^L = (1/m)(A − Y) holds when Y's columns sum to 1
        assert v.diagnoses and v.diagnoses[0].kind == "assumption", (claim, v.text())
        assert "sums to 1" in md or "sum to 1" in md, claim
    proved = [claim for claim, v in out if v.ok]
    # rows reads whole matrices only; bishop's mean error Ē at m > 1 is not a name claims take (refused, not wrong)
    assert len(proved) >= {"rows": 3, "bishop": 5}.get(name, 8), (name, len(proved))
    assert len(wrong) <= 1, [c for c, _ in wrong]


def test_ngs_worked_chain_is_the_courses_own_lines():
    """dZ^{[1]} = W^{[2]T} dZ^{[2]} ⊙ g'(Z^{[1]}) without a stray m, and ∂J/∂W with the 1/m the course puts there."""
    d, md, out = verdicts("ng")
    proved = {claim for claim, v in out if v.status == "proved"}
    m = d.net.batch
    assert r"dZ^{[1]}_{1;1} = W^{[2]}_{11} dZ^{[2]}_{1;1} \, A^{[1]}_{1;1} \left(1 - A^{[1]}_{1;1}\right)" in proved
    assert f"\\frac{{X_{{1;1}} dZ^{{[1]}}_{{1;1}}}}{{{m}}}" in md               # X dZ / m: the 1/m shown
    assert any(claim.startswith(r"\frac{\partial J}{\partial A^{[1]}_{1;1}} = \frac{W^{[2]}_{11} dZ^{[2]}_{1;1}}")
               for claim in proved) or r"\frac{\partial J}{\partial A^{[1]}_{1;1}} &= \frac{W^{[2]}_{11} dZ^{[2]}_{1;1}}" \
        in md                                                                   # the local picture: W dZ / m
    assert "with dZ = m ∂J/∂Z (one sample's own gradient)" in md


@pytest.mark.parametrize("claim, status", [
    (r"dZ^{[1]}_{1;1} = 4 A^{[1]}_{1;1} W^{[2]}_{11} dZ^{[2]}_{1;1} \left(1 - A^{[1]}_{1;1}\right)", "wrong"),
    (r"\frac{\partial J}{\partial W^{[1]}_{11}} = X_{1;1} dZ^{[1]}_{1;1} + X_{1;2} dZ^{[1]}_{1;2} + X_{1;3} dZ^{[1]}_{1;3} "
     r"+ X_{1;4} dZ^{[1]}_{1;4}", "wrong"),
    (r"\frac{\partial J}{\partial W^{[1]}_{11}} = \frac{1}{4} \left(X_{1;1} dZ^{[1]}_{1;1} + X_{1;2} dZ^{[1]}_{1;2} "
     r"+ X_{1;3} dZ^{[1]}_{1;3} + X_{1;4} dZ^{[1]}_{1;4}\right)", "proved"),
])
def test_the_lines_ngs_worked_example_printed_before_are_wrong(claim, status):
    """What the document printed before the fix (the stray 4, the missing 1/4) is wrong; the fixed line proved."""
    assert check(derive(preset("ng", batch=4)), claim, "ng").status == status


@pytest.mark.parametrize("claim, status", [
    (r"\frac{\partial J}{\partial \theta^{(1)}_{1,1}} = x_{1;1} \frac{\partial J}{\partial z^{(2)}_{1;1}} "
     r"+ x_{1;2} \frac{\partial J}{\partial z^{(2)}_{1;2}}", "proved"),        # J the mean: its partial by sample i's z
    (r"\frac{\partial J}{\partial \theta^{(1)}_{1,1}} = \frac{1}{2} \left(x_{1;1} \frac{\partial J}{\partial z^{(2)}_{1;1}} "
     r"+ x_{1;2} \frac{\partial J}{\partial z^{(2)}_{1;2}}\right)", "wrong"),
    (r"\frac{\partial J}{\partial \theta^{(1)}_{:,1:}} = \frac{1}{m} \delta^{(2)} x^{T}", "proved"),   # samples as columns
    (r"\frac{\partial J}{\partial \theta^{(1)}_{:,1:}} = \delta^{(2)} x^{T}", "wrong"),
])
def test_a_per_sample_notation_reads_a_named_sample_and_a_matrix_form_as_a_document_writes_them(claim, status):
    assert check(derive(preset("theta", batch=2)), claim, "theta").status == status


def test_nielsens_c_with_a_sample_named_is_the_batchs_and_without_one_the_examples():
    d = derive(preset("nielsen", batch=4))
    assert check(d, r"\frac{\partial C}{\partial a^{3}_{1;2}} = \frac{a^{3}_{1;2} - y_{1;2}}{4}", "nielsen").status == \
        "proved"
    assert check(d, r"\frac{\partial C}{\partial a^{3}_{1}} = a^{3}_{1} - y_{1}", "nielsen").status == "proved"  # C_x
    assert check(d, r"\frac{\partial C}{\partial a^{3}_{1;2}} = a^{3}_{1;2} - y_{1;2}", "nielsen").status == "wrong"


def test_a_fixed_layer_word_takes_the_layer_written_on_it():
    """CS231n's W is the first layer's, but a rows document writes W^{l}, W^{2}: a superscript is the layer."""
    d = derive(preset("rows", batch=4))
    assert check(d, r"\frac{\partial E}{\partial W^{2}} = \left(A^{1}\right)^{T} \delta^{2}", "rows").status == "proved"
    assert check(d, r"\frac{\partial E}{\partial W^{l}} = \left(A^{l - 1}\right)^{T} \delta^{l}", "rows").status == \
        "proved"
    assert check(d, r"\frac{\partial E}{\partial W^{l}} = \left(A^{l}\right)^{T} \delta^{l}", "rows").status != "proved"
    assert check(d, "dW2 = np.dot(hidden_layer.T, dscores)", "rows").status == "proved"   # W2, hidden_layer^T as before


def test_bishops_document_at_m_above_1_names_the_mean_error_apart_from_bishops_sum():
    """Bishop's E = Σ_n E_n is m times the network's mean: the document writes the mean Ē and says so."""
    d = derive(preset("bishop", batch=4))
    md = render(d, notation="bishop", fmt="markdown")
    assert r"The error is $\bar{E}$ (the mean of the examples' errors, $\bar{E} = E/m$" in md
    assert r"\frac{\partial E}{" not in md and r"\frac{\partial \bar{E}}{" in md
    one = render(derive(preset("bishop", batch=1)), notation="bishop", fmt="markdown")
    assert r"\bar{E}" not in one and r"\frac{\partial E}{" in one
