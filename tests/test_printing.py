"""The notation printer: exact LaTeX and Unicode for small fragments, in each notation.

Exact goldens (SymPy's test_latex.py habit): a change in how any quantity prints shows up here.
The seed equations are the seeds' boxed equations as their authors write them, which is the point.
"""
import re

import pytest
import sympy as sp

from symbackprop import Network, derive, notation
from symbackprop.symbolic.general import General
from symbackprop.writeup.layout import escape, escape_markdown
from symbackprop.writeup.printing import Printer, tex_to_text, visible_width

SIGMOID_BCE = Network(sizes=(2, 3, 1), activations="sigmoid", loss="bce", batch=2)
UFLDL = Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=1)


def boxed(net, name):
    d = derive(net)
    p, general = Printer(notation(name), samples=net.batch), General(d.chain, notation(name))
    return {eq.label: p.latex(general.display(eq.lhs)) + " = " + p.latex(general.display(eq.rhs))
            for eq in general.boxed()}


def test_theta_prints_seed_001_boxed_equations():
    """(42), (43), (44), (46) of seed 001, sums from i = 1 (the seed's i = 0 is its slip)."""
    assert boxed(SIGMOID_BCE, "theta") == {
        "delta L": r"\delta^{(L)}_{p;i} = h^{(L)}\left(z^{(L)}_{p;i}\right) - y_{p;i}",
        "delta l": r"\delta^{(l)}_{p;i} = \Psi^{(l)}\left(z^{(l)}_{p;i}\right) \sum_{k=1}^{s_{l + 1}} "
                   r"\theta^{(l)}_{k,p} \delta^{(l + 1)}_{k;i}",
        "gradient W": r"\frac{\partial J}{\partial \theta^{(l)}_{p,q}} = \frac{1}{m} \sum_{i=1}^{m} "
                      r"h^{(l)}\left(z^{(l)}_{q;i}\right) \delta^{(l + 1)}_{p;i}",
        "gradient b": r"\frac{\partial J}{\partial \theta^{(l)}_{p,0}} = \frac{1}{m} \sum_{i=1}^{m} "
                      r"\delta^{(l + 1)}_{p;i}",
    }


def test_ufldl_prints_seed_002_compact_equations():
    """Seed 002's 'more compactly' block for one sample: ε^(L), the ε recurrence, ∂J/∂W, ∂J/∂b."""
    assert boxed(UFLDL, "ufldl") == {
        "delta L": r"\epsilon^{(L)}_{i} = \left(a^{(L)}_{i} - y_{i}\right) {\sigma}'\left(z^{(L)}_{i}\right)",
        "delta l": r"\epsilon^{(l)}_{i} = {\sigma}'\left(z^{(l)}_{i}\right) \sum_{q=1}^{s_{l + 1}} W^{(l)}_{qi} "
                   r"\epsilon^{(l + 1)}_{q}",
        "gradient W": r"\frac{\partial J}{\partial W^{(l)}_{ij}} = a^{(l)}_{j} \epsilon^{(l + 1)}_{i}",
        "gradient b": r"\frac{\partial J}{\partial b^{(l)}_{i}} = \epsilon^{(l + 1)}_{i}",
    }


def test_matrix_prints_the_textbook_equations_with_1_over_m_inside():
    assert boxed(Network(sizes=(2, 3, 1), activations="generic", batch=2), "matrix") == {
        "delta L": r"\delta^{L}_{i;c} = \frac{{g^{L}}'\left(Z^{L}_{i;c}\right)}{m} \left(A^{L}_{i;c} - Y_{i;c}\right)",
        "delta l": r"\delta^{l}_{i;c} = {g^{l}}'\left(Z^{l}_{i;c}\right) \sum_{k=1}^{n^{l + 1}} W^{l + 1}_{ki} "
                   r"\delta^{l + 1}_{k;c}",
        "gradient W": r"\frac{\partial E}{\partial W^{l}_{ij}} = \sum_{c=1}^{m} A^{l - 1}_{j;c} \delta^{l}_{i;c}",
        "gradient b": r"\frac{\partial E}{\partial b^{l}_{i}} = \sum_{c=1}^{m} \delta^{l}_{i;c}",
    }


@pytest.mark.parametrize("name, latex, text", [
    ("matrix", r"W^{2}_{13} \delta^{2}_{1;2}", "W²₁₃·δ²₁;₂"),
    ("theta", r"\frac{\theta^{(2)}_{1,3} \delta^{(3)}_{1;2}}{2}", "θ⁽²⁾₁,₃·δ⁽³⁾₁;₂/2"),   # δ per sample is m ∂E/∂Z
    ("ufldl", r"\frac{W^{(2)}_{13} \epsilon^{(3)}_{1;2}}{2}", "W⁽²⁾₁₃·ϵ⁽³⁾₁;₂/2"),
])
def test_concrete_symbols_in_each_notation(name, latex, text):
    expr = sp.Symbol("W2_1_3", real=True) * sp.Symbol("delta2_1_2", real=True)
    p = Printer(notation(name), samples=2)
    assert (p.latex(expr), p.text(expr)) == (latex, text)


@pytest.mark.parametrize("symbol, matrix, theta", [
    ("X_1_2", "A^{0}_{1;2}", "x_{1;2}"),
    ("b1_3", "b^{1}_{3}", r"\theta^{(1)}_{3,0}"),
    ("A1_2_1", "A^{1}_{2;1}", r"h^{(2)}\left(z^{(2)}_{2;1}\right)"),
    ("dE_dZ1_2_1", r"\frac{\partial E}{\partial Z^{1}_{2;1}}", r"\frac{\partial J}{\partial z^{(2)}_{2;1}}"),
    ("dZ2_1_1_dA1_3_1", r"\frac{\partial Z^{2}_{1;1}}{\partial A^{1}_{3;1}}",
     r"\frac{\partial z^{(3)}_{1;1}}{\partial h^{(2)}\left(z^{(2)}_{3;1}\right)}"),
    ("W12_10_3", "W^{12}_{10,3}", r"\theta^{(12)}_{10,3}"),
])
def test_every_kind_of_model_symbol(symbol, matrix, theta):
    s = sp.Symbol(symbol, real=True)
    assert Printer(notation("matrix")).latex(s) == matrix
    assert Printer(notation("theta")).latex(s) == theta


def test_generic_activation_and_its_derivative():
    z = sp.Symbol("Z1_1_1", real=True)
    g = sp.Function("g1", real=True)
    expr = sp.diff(g(z), z) * g(z) ** 2
    assert Printer(notation("matrix")).latex(expr) == (r"\left(g^{1}\left(Z^{1}_{1;1}\right)\right)^{2} "
                                                       r"{g^{1}}'\left(Z^{1}_{1;1}\right)")
    assert Printer(notation("ufldl"), samples=1, uniform=False).text(expr) == "σ⁽²⁾(z⁽²⁾₁)^2·σ⁽²⁾′(z⁽²⁾₁)"


def test_a_scripted_glyph_is_bracketed_before_a_power():
    """W^{1}_{11}^{2} is a LaTeX error (double superscript)."""
    assert Printer(notation("matrix")).latex(sp.Symbol("W1_1_1") ** 2) == r"\left(W^{1}_{11}\right)^{2}"


def test_tex_to_text_keeps_what_unicode_cannot_script():
    assert tex_to_text(r"\theta^{(1)}_{2,1}") == "θ⁽¹⁾₂,₁"
    assert tex_to_text(r"{g^{l}}'") == "gˡ′"
    assert tex_to_text(r"Y_{bc}") == "Y_(bc)"         # no subscript b or c in Unicode


def test_long_expressions_break_into_balanced_lines():
    from symbackprop.writeup import printing
    d = derive(Network(sizes=(2, 3, 3, 1), activations="sigmoid", batch=2))
    lines = Printer(notation("matrix")).latex_lines(d.partial("W1[1,1]"), width=64)
    assert len(lines) > 3
    for line in lines:
        assert visible_width(line) <= 64 + printing.SHORT_TAIL, line     # a short last factor may run past
        assert line.count(r"\left") == line.count(r"\right"), line       # each line's brackets pair
    whole_lines = "".join(lines)
    assert whole_lines.count(r"\left(") == whole_lines.count(r"\right)")   # every bracket opened is closed
    whole = Printer(notation("matrix")).latex(d.partial("W1[1,1]"))
    glyph = re.compile(r"[WAZY]\^\{\d\}_\{\d+\}|Y_\{\d+\}|e\^")
    assert sorted(glyph.findall(" ".join(lines))) == sorted(glyph.findall(whole))   # every quantity, once each


def test_escapers_neutralise_every_special_character():
    assert escape(r"\input{x} 50% $a_b$ #1 & ~^") == (r"\textbackslash{}input\{x\} 50\% \$a\_b\$ \#1 \& "
                                                      r"\textasciitilde{}\textasciicircum{}")
    assert escape("∂E/∂Z and δ, ∂θ") == (r"\ensuremath{\partial}E/\ensuremath{\partial}Z and \ensuremath{\delta}, "
                                        r"\ensuremath{\partial}\ensuremath{\theta}")
    assert escape_markdown("*a* _b_ `c` $d$ <e> [f]") == r"\*a\* \_b\_ \`c\` \$d\$ \<e\> \[f\]"


def test_breaking_a_long_partial_into_lines_names_each_distinct_symbol_once(monkeypatch):
    """latex_lines prints a sum, then its terms, then their factors: each subexpression is printed once and
    remembered (a 4-8-8-3 document spent 1.7 s re-printing the worked partial), and the lines are unchanged."""
    from symbackprop.writeup import printing
    d = derive(Network(sizes=(2, 3, 3, 1), activations="sigmoid", batch=2))
    partial = d.partial("W1[1,1]")
    p = Printer(notation("matrix"))
    fresh = printing._Tex(p)
    expected = printing._greedy(printing._terms(fresh, p.prepare(partial), 64), 64)
    named: list[str] = []
    original = printing._named
    monkeypatch.setattr(printing, "_named", lambda printer, name, tex: named.append(name) or original(printer, name, tex))
    assert p.latex_lines(partial, width=64) == expected
    assert len(named) == len(set(named)) == len(partial.free_symbols)


def test_a_long_sum_begins_each_term_that_does_not_fit_on_a_line_of_its_own():
    """Review 2: a term began at the end of a line and ran onto the next ("… ⋅ (…) + A·A·W·X \\\\ · (1 − A) …").
    A term is kept on one line where it fits; one that does not starts a line. Checked on the worked partial of a
    4-sample batch: each of its four terms is whole on a line or begins one."""
    from symbackprop.writeup import printing
    d = derive(Network(sizes=(2, 3, 1), activations="sigmoid", loss="bce", batch=4))
    p = Printer(notation("matrix"), samples=4)
    partial = d.partial("W1[1,1]")
    lines = p.latex_lines(partial, width=64)
    groups = printing._terms(printing._Tex(p), p.prepare(partial), 64)
    assert len(groups) == 4 and len(lines) > 4
    for group in groups:
        whole = " ".join(group)
        assert any(whole in line for line in lines) or any(line.startswith(group[0]) for line in lines), group[0]
    assert sum(line.startswith(("+ ", "- ")) for line in lines) == 3      # terms 2-4 each begin a line here
