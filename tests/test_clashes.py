"""Issue 13's clashes and confusions, one test each: every one failed before its fix.

L has one meaning in every notation; "seed" means a source derivation only; the ufldl document speaks of ε,
and writes σ only for the sigmoid; no stray 1 at m = 1; every symbol defined before use; the softmax + cce
δ^L derived through the Jacobian sum; the paths counted per sample; a write-up batch that keeps shapes apart.
"""
import dataclasses

import pytest
import sympy as sp

from symbackprop import Network, derive, preset
from symbackprop.model.notations import notation
from symbackprop.symbolic.derive import Step
from symbackprop.symbolic.general import A, E, General, Partial, Z
from symbackprop.symbolic.verify import check_step
from symbackprop.writeup.document import document, render, write_up_batch

SEED_THETA = Network(sizes=(2, 3, 1), activations="sigmoid", loss="bce", batch=2)
SEED_UFLDL = Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=1)
SOFTMAX = Network(sizes=(2, 3, 3), activations=("tanh", "softmax"), loss="cce", batch=2)


def _own(text: str) -> str:
    """The document's own text: the seed's section quotes the seed, with its own symbols (seed 002's
    Kronecker δ_(l,L−1), seed 001's "L = 2, K = 1" for logistic regression), and is tested on its own."""
    start = text.index("display by display\n")
    start = text.rindex("\n## ", 0, start)
    end = text.index("\n## ", start + 1)
    return text[:start] + text[end:]


@pytest.fixture(scope="module")
def theta():
    return _own(render(derive(SEED_THETA), notation="theta", fmt="markdown"))


@pytest.fixture(scope="module")
def ufldl():
    return _own(render(derive(SEED_UFLDL), notation="ufldl", fmt="markdown"))


def test_L_is_the_output_layer_in_every_notation(theta, ufldl):
    """Before: "L = 2 layers with weights", then δ^(L) with L = 3."""
    for text in (theta, ufldl):
        assert "$L = 2$" not in text and "the output layer is $L = 3$" in text
        assert "The network has 2 inputs, a hidden layer of 3 units and 1 output unit: 2 layers of weights" in text
    matrix = render(derive(SEED_THETA), notation="matrix", fmt="markdown")
    assert "the output layer is $L = 2$" in matrix


def test_seed_means_a_source_derivation_only(theta):
    """Before: "at a random point (seed 0, 8 samples)" beside seed 001 (and 8 samples beside the document's m)."""
    assert "(seed 0," not in theta and "random point (NumPy's generator `default_rng(0)`, $m = 2$ as above)" in theta
    assert "seed" not in theta.lower()        # the source derivation is cited: Steven Brawer's, not "seed 001"
    assert theta.count('Steven Brawer, “Derivation of Back Propagation Equations” (May 2017)') == 1


def test_the_ufldl_document_speaks_of_epsilon(ufldl):
    """Before: "the δ equations" in a document whose error signal is ε."""
    glossary = [line for line in ufldl.splitlines() if line.startswith("The UFLDL tutorial itself writes")]
    assert len(glossary) == 1 and glossary[0].startswith(r"The UFLDL tutorial itself writes $\delta^{(l)}_{i}$ for "
                                                         r"this document's $\epsilon^{(l)}_{i}$")
    rest = ufldl.replace(glossary[0], "")         # UFLDL's own δ is named once, as what ε is there
    assert "δ" not in rest and r"\delta" not in rest
    assert r"By the $\epsilon$ equations" in ufldl and "the ϵ equations" in ufldl


def test_sigma_is_the_sigmoid_only():
    """Before: σ written for tanh in ufldl."""
    tanh = render(derive(dataclasses.replace(SEED_UFLDL, activations="tanh")), notation="ufldl", fmt="markdown")
    assert r"\sigma" not in tanh and r"{f}'\left(z^{(L)}_{i}\right)" in tanh
    assert r"$f$ for" not in tanh                 # UFLDL's f is this document's f: no glossary entry for it
    sigmoid = render(derive(SEED_UFLDL), notation="ufldl", fmt="markdown")
    assert r"{\sigma}'\left(z^{(L)}_{i}\right)" in sigmoid and "{f}'" not in sigmoid
    assert r"$f$ for $\sigma$" in sigmoid        # ... and is σ here


def test_no_stray_one_at_one_sample(ufldl):
    """Before: 1/m at m = 1 printed as "1 ε" beside the bold 1."""
    assert r"= 1 \epsilon" not in ufldl
    assert r"\frac{\partial J}{\partial W^{(l)}} &= \epsilon^{(l + 1)} \left(a^{(l)}\right)^{T}" in ufldl


def test_every_symbol_is_defined_before_use(theta):
    """Before: n^l, s_l, Ψ and I were never defined."""
    definitions = theta.index("Here $s_{l}$ is the number of units in layer $l$")
    assert r"$\Psi^{(l)}$ its derivative" in theta and definitions < theta.index("## 2. The forward pass")
    matrix = render(derive(SOFTMAX), fmt="markdown")
    assert "Here $n^{l}$ is the number of units" in matrix
    assert "$I_{ik}$ is 1 when $i = k$ and 0 otherwise" in matrix
    assert matrix.index("$I_{ik}$ is 1") < matrix.index("I_{ik}", matrix.index("## 2. The forward pass"))


def test_softmax_cce_delta_is_derived_through_the_jacobian_sum():
    """Before: "∂E/∂A and g′ cancel", which is the elementwise argument, for a softmax output."""
    d = derive(SOFTMAX)
    doc = document(d)
    (jacobian,) = [eq for eq in doc["chain"] if eq["label"] == "dZL"]
    assert jacobian["ok"] and jacobian["proved"] == jacobian["instances"] == 3 * 2
    assert r"\sum_{k=1}^{n^{L}} \left(I_{ik} - A^{L}_{i;c}\right) A^{L}_{k;c} \frac{\partial E}{\partial A^{L}_{k;c}}" \
        in jacobian["lines"]
    (output,) = [eq for eq in doc["boxed"] if eq["label"] == "delta L"]
    assert "cancel" not in output["why"] and "Jacobian sum" in output["why"]
    # the Jacobian step is checked, not printed: without its identity part it fails
    general = General(d.chain, notation("matrix"))
    (eq,) = [eq for eq in general.chain_rule() if eq.label == "dZL"]
    wrong = dataclasses.replace(eq, rhs=eq.rhs.replace(sp.KroneckerDelta, lambda *args: sp.Integer(0)))
    results = [check_step(d, Step(name, truth, claim, assume=assume))
               for name, truth, claim, assume in general.check_instances(wrong)]
    assert results and not any(r.ok for r in results)
    assert eq.lhs == Partial(E, Z[general.x.L, general.x.i, general.x.c]) and eq.rhs.has(A)
    elementwise = document(derive(SEED_THETA))
    assert "dZL" not in [eq["label"] for eq in elementwise["chain"]]


def test_paths_are_counted_per_sample():
    """Before: "2 paths" for what is one path through the network in each of two samples."""
    text = render(derive(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2)), fmt="markdown")
    assert "(2 in all: 1 through the network in each of the $m = 2$ samples, those of sample 1 shown)" in text
    paths = text[text.index("Every path from"):text.index("gives the partial assembled")]
    assert r"Z^{1}_{1;1}" in paths and r"Z^{1}_{1;2}" not in paths              # sample 2's is the same, not shown
    one = render(derive(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=1)), fmt="markdown")
    assert "The one path from $W^{1}_{11}$ to $E$; the partial is the product of its local derivatives" in one


@pytest.mark.parametrize("sizes", [(2, 3, 1), (4, 8, 8, 3), (3, 4, 5, 2), (1, 1), (2, 2, 2), (3, 3, 4, 5, 6)])
def test_the_write_up_batch_keeps_every_shape_distinct(sizes):
    """Before: m = 2 made A^0 of 2-3-1 square (2 × 2) and printed 1/m as "/2", like the loss's ½."""
    m = write_up_batch(sizes)
    assert m >= 3
    for l in range(1, len(sizes)):
        weight, activations, previous = (sizes[l], sizes[l - 1]), (sizes[l], m), (sizes[l - 1], m)
        assert activations != weight and previous[0] != previous[1] and activations[0] != activations[1]
    assert m == min(k for k in range(3, 100) if k not in sizes)


def test_the_matrix_notation_marks_the_sample():
    """Before: Z¹₁₂ (unit 1, sample 2) and W¹₁₂ (unit 1, input 2) were written alike."""
    from symbackprop.writeup.printing import Printer
    p = Printer(notation("matrix"))
    assert p.latex(sp.Symbol("Z1_1_2")) == "Z^{1}_{1;2}" and p.latex(sp.Symbol("W1_1_2")) == "W^{1}_{12}"
    assert p.text(sp.Symbol("A1_2_1")) != p.text(sp.Symbol("W1_2_1")).replace("W", "A")
    text = render(derive(SEED_THETA), fmt="markdown")
    assert "the target $Y_{i;c}$ (after the semicolon, the sample)" in text
    assert r"\frac{\partial E}{\partial W^{1}_{11}} &= \frac{\partial E}{\partial Z^{1}_{1;1}}" in text


def test_the_ufldl_document_writes_the_posts_epsilon_and_no_other(ufldl):
    """Review 7: the document's ε (\\varepsilon) beside the post's ϵ (\\epsilon) in Appendix A: two glyphs a student
    cannot tell apart in print. The notation writes the post's own."""
    assert r"\epsilon^{(" in ufldl and r"\varepsilon" not in ufldl


def test_a_per_sample_signals_gradient_lines_say_it_is_m_times_the_partial(theta):
    """Review 7: theta's boxed gradients said "with ∂J/∂z written as δ", where δ = m ∂J/∂z (so the 1/m they
    carry came from nowhere), and §4 said ∂z/∂θ is "the input h" and then "= 1" with no word of which θ."""
    assert "the chain rule for the weight θ with ∂J/∂z = δ/m" in theta
    assert "the chain rule for the bias θ with ∂J/∂z = δ/m" in theta and "written as δ" not in theta
    assert "where the weight's ∂z/∂θ is the input" in theta and "with the bias's ∂z/∂θ = 1" in theta
    # review 9: "z feeds only its own unit's activation h = h(z)" named h twice (theta writes a as h(z))
    assert "z feeds only its own unit's activation h(z)" in theta and "h = h(z)" not in theta
    matrix = render(derive(preset("matrix", batch=4)), fmt="markdown")
    assert "the chain rule for the weight W with ∂E/∂Z written as δ" in matrix       # δ is ∂E/∂Z there


@pytest.mark.parametrize("sizes, words", [
    ((2, 3, 1), "2 inputs, a hidden layer of 3 units and 1 output unit"),
    ((1, 1), "1 input and 1 output unit"),
    ((4, 8, 8, 3), "4 inputs, hidden layers of 8 and 8 units and 3 output units"),
    ((2, 3, 3, 2, 1), "2 inputs, hidden layers of 3, 3 and 2 units and 1 output unit")])
def test_section_one_says_the_network_in_words(sizes, words):
    """Review 8: "2 layers with weights, widths 2-3-1, loss: half squared error, …; 13 parameters in all" read as a
    form filled in."""
    from symbackprop.writeup.document import shape_words
    assert shape_words(sizes) == words
