"""Check reads what textbooks print (issue 14): precedence as textbooks mean it, the bias gradient at batch 1,
the implicit sample kept apart from a unit index, the constructs of the public texts, and a wrong layer index
diagnosed. Every right equation here was once called wrong (a false alarm), so each test failed before its fix."""
import functools
import re

import pytest
import sympy as sp

from symbackprop import Network, SpecError, check, derive, notation, preset
from symbackprop.claims.parse import ClaimSyntaxError
from symbackprop.claims.reading import read
from symbackprop.symbolic.general import W, Z, delta, gprime, n

MATRIX = notation("matrix")
i, k, c = sp.symbols("i k c", integer=True, positive=True)

NETWORKS = {
    "generic": Network(sizes=(2, 3, 1), activations="generic", loss="mse", batch=2),
    "generic-1": Network(sizes=(2, 3, 1), activations="generic", loss="mse", batch=1),
    "deep-1": Network(sizes=(2, 3, 2, 2), activations="generic", loss="mse", batch=1),
    "theta": preset("theta"),
}


@functools.cache
def derivation(key):
    return derive(NETWORKS[key])


# --- slice 1: the false alarms ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    r"\delta^{l} = {g^{l}}'(Z^{l}) \odot (W^{l+1})^T \delta^{l+1}",
    r"\delta^{l} = {g^{l}}'(Z^{l}) \circ (W^{l+1})^T \delta^{l+1}",
    "δ¹ = g¹′(Z¹) ⊙ (W²)ᵀ δ²",
    r"\delta^{l} = {g^{l}}'(Z^{l}) \bullet (W^{l+1})^T \delta^{l+1}",
])
def test_a_matrix_product_binds_tighter_than_the_entrywise_product(text):
    claim = read(text, MATRIX)                  # left to right, g′ ⊙ Wᵀ would not fit: a false alarm
    layer = claim.lhs.indices[0]
    expected = gprime(layer, Z[claim.lhs.indices]) * sp.Sum(
        W[layer + 1, k, i] * delta[layer + 1, k, c], (k, 1, n[layer + 1]))
    assert sp.expand(claim.rhs - expected) == 0, claim.rhs
    verdict = check(derivation("generic"), text)
    assert verdict.status == "proved", verdict.text()


def test_precedence_does_not_make_a_wrong_equation_right():
    verdict = check(derivation("generic"), r"\delta^{l} = {g^{l}}'(Z^{l}) \odot W^{l+1} \delta^{l+1}")
    assert verdict.status == "wrong" and "transposition" in [d.kind for d in verdict.diagnoses], verdict.text()


def test_the_bias_gradient_is_delta_at_batch_1():
    verdict = check(derivation("generic-1"), r"\frac{\partial E}{\partial b^l} = \delta^l")
    assert verdict.status == "proved" and verdict.instances == 4, verdict.text()     # b^1: 3 units, b^2: 1


def test_the_bias_gradient_at_batch_1_is_still_refuted_when_wrong():
    verdict = check(derivation("generic-1"), r"\frac{\partial E}{\partial b^l} = 2 \delta^l")
    assert verdict.status == "wrong" and "factor" in [d.kind for d in verdict.diagnoses], verdict.text()
    verdict = check(derivation("generic-1"), r"\frac{\partial E}{\partial b^l} = \delta^{l+1}")
    assert verdict.status == "wrong", verdict.text()


def test_the_bias_gradient_at_batch_2_sums_over_the_samples():
    verdict = check(derivation("generic"), r"\frac{\partial E}{\partial b^l} = \delta^l")
    kinds = [d.kind for d in verdict.diagnoses]
    assert verdict.status == "wrong" and "one sample" in kinds and "shapes" in kinds, verdict.text()
    assert check(derivation("generic"), r"\frac{\partial E}{\partial b^l} = \delta^l \mathbf{1}").status == "proved"


def test_in_theta_a_unit_index_i_is_not_the_sample():
    # theta's sample letter is i; δ_i here is unit i of one sample, checked at every unit and every sample
    verdict = check(derivation("theta"), r"\delta^{(L)}_i = h^{(L)}(z^{(L)}_i) - y_i", "theta")
    assert verdict.status == "proved" and verdict.instances == 2, verdict.text()      # 1 unit × 2 samples
    verdict = check(derivation("theta"), r"\delta^{(l)}_i = \sum_{k=1}^{s_{l+1}} \delta^{(l+1)}_k \theta^{(l)}_{k,i} "
                                         r"\Psi^{(l)}(z^{(l)}_i)", "theta")
    assert verdict.status == "proved" and verdict.instances == 6, verdict.text()      # 3 units × 2 samples
    verdict = check(derivation("theta"), r"\delta^{(L)}_i = h^{(L)}(z^{(L)}_i) + y_i", "theta")
    assert verdict.status == "wrong", verdict.text()


# --- slice 2: the constructs the public texts print --------------------------------------------------------------

GRADIENT_W = r"\frac{\partial E}{\partial W^l} = \delta^l (A^{l-1})^T"


@pytest.mark.parametrize("text", [
    r"\frac{\partial C}{\partial W^{[l]}} = \delta^{[l]} A^{[l-1]T}",                 # error C, [l] superscripts
    r"\frac{\partial J}{\partial W^{k}} = \boldsymbol{\delta}^{k} (A^{k-1})^T",        # J, layer letter k, bold
    r"\nabla_{W^{\ell}} L = \delta^{\ell} A^{\ell-1 T}",                                # ∇, ℓ, L as the error
    r"\frac{\partial E}{\partial W^{l}} = \delta^{l} A^{l-1 T}",
    "∇_{W^ℓ} C = δ^ℓ (A^{ℓ-1})ᵀ",
    r"dW^{[l]} = dZ^{[l]} A^{[l-1]T}",                                                   # Ng's names
    r"dW^{[l]} = np.dot(dZ^{[l]}, A^{[l-1]}.T)",
    r"dW^{[l]} = dZ^{[l]}.dot(A^{[l-1]}.T)",
    r"dW^{[l]} = np.dot(dZ^{[l]}, np.transpose(A^{[l-1]}))",
])
def test_the_weight_gradient_as_the_texts_print_it(text):
    claim = read(text, MATRIX)
    reference = read(GRADIENT_W, MATRIX)
    assert sp.expand(claim.lhs - reference.lhs) == 0 and sp.expand(claim.rhs - reference.rhs) == 0, claim.rhs
    assert check(derivation("generic"), text).status == "proved"


@pytest.mark.parametrize("text", [
    r"db^{[l]} = np.sum(dZ^{[l]}, axis=1, keepdims=True)",
    r"db^{[l]} = dZ^{[l]}.sum(axis=1, keepdims=True)",
    r"db^{[l]} = np.sum(dZ^{[l]}, axis = 1)",
    r"\frac{\partial E}{\partial b^l} = \delta^l \mathbf{1}",
])
def test_the_bias_gradient_as_a_sum_over_the_samples(text):
    assert check(derivation("generic"), text).status == "proved"


@pytest.mark.parametrize("text, kind", [
    (r"db^{[l]} = np.sum(dZ^{[l]}, axis=0, keepdims=True)", "shapes"),        # the sum over the units: 1×m
    (r"db^{[l]} = 2 np.sum(dZ^{[l]}, axis=1, keepdims=True)", "factor"),
    (r"dW^{[l]} = np.dot(A^{[l-1]}, dZ^{[l]}.T)", "transposition"),
])
def test_wrong_numpy_forms_are_refuted(text, kind):
    verdict = check(derivation("generic"), text)
    assert verdict.status == "wrong" and kind in [d.kind for d in verdict.diagnoses], verdict.text()


@pytest.mark.parametrize("text", [
    r"\delta^{L} \leftarrow \frac{\partial E}{\partial A^L} \odot {g^L}'(Z^L)",
    r"\delta^{L} := \frac{\partial E}{\partial A^L} \odot {g^L}'(Z^L)",
    r"δ^L ← ∂E/∂A^L ⊙ g^L'(Z^L)",
    r"\delta^{L} \gets \frac{\partial E}{\partial A^L} \circ {g^L}'(Z^L)",
])
def test_an_assignment_is_read_as_the_equation_it_means(text):
    assert check(derivation("generic"), text).status == "proved"


def test_components_without_a_sample_index_are_one_example():
    text = r"\frac{\partial E}{\partial W^l_{jk}} = A^{l-1}_k \delta^l_j"
    assert check(derivation("generic-1"), text).status == "proved"
    wrong = check(derivation("generic-1"), r"\frac{\partial E}{\partial W^l_{jk}} = A^{l-1}_j \delta^l_k")
    assert wrong.status == "wrong", wrong.text()
    at_two = check(derivation("generic"), text)                # one example's gradient, but E sums over two
    assert at_two.status == "wrong" and "one sample" in [d.kind for d in at_two.diagnoses]
    # a δ in components is the same at every sample: checked at each of them
    verdict = check(derivation("generic"), r"\delta^L_j = \frac{\partial E}{\partial A^L_j} {g^L}'(Z^L_j)")
    assert verdict.status == "proved" and verdict.instances == 2, verdict.text()


def test_a_per_example_error_is_checked_on_one_example():
    for error in ("E_n", "E_{n}", "C_x"):
        text = r"\frac{\partial " + error + r"}{\partial W^l_{jk}} = A^{l-1}_k \delta^l_j"
        verdict = check(derivation("generic"), text)
        assert verdict.status == "proved" and any("one example" in note for note in verdict.notes), verdict.text()
    wrong = check(derivation("generic"), r"\frac{\partial E_n}{\partial W^l_{jk}} = A^{l}_k \delta^l_j")
    assert wrong.status == "wrong"


@pytest.mark.parametrize("text, says", [
    (r"\delta^{k} = (W^{l+1})^T \delta^{k+1}", "one letter for the layer"),
    (r"db^{[l]} = np.sum(dZ^{[l]})", "np.sum needs axis"),
    (r"db^{[l]} = np.sum(dZ^{[l]}, axis=2)", "expected axis=0 or axis=1"),
    (r"dW^{[l]} = np.eval(dZ^{[l]})", "expected np.dot"),
    (r"dW^{[l]} = np.__class__", "unknown name"),
    (r"dW^{[l]} = dZ^{[l]}.__class__", "expected an operator"),
])
def test_new_constructs_refuse_what_they_do_not_mean(text, says):
    with pytest.raises(ClaimSyntaxError, match=re.escape(says)):
        read(text, MATRIX)


# --- slice 3: a wrong layer index is diagnosed --------------------------------------------------------------------

NETWORKS |= {"deep": Network(sizes=(2, 3, 3, 1), activations="sigmoid", loss="mse", batch=2),
             "ufldl-deep": preset("ufldl", sizes=(2, 3, 3, 1)), "theta-deep": preset("theta", sizes=(2, 3, 3, 1))}


@pytest.mark.parametrize("name, net, text, at", [
    ("matrix", "deep", r"\delta^l = (W^l)^T \delta^{l+1} \odot {g^l}'(Z^l)", "at layer l+1"),           # shapes
    ("matrix", "deep", r"\delta^l = (W^{l+1})^T \delta^{l+1} \odot {g^l}'(Z^{l+1})", "at layer l"),
    ("matrix", "deep", r"\frac{\partial E}{\partial W^l} = \delta^l (A^l)^T", "at layer l-1"),
    ("matrix", "deep", r"\frac{\partial E}{\partial W^l} = \delta^{l+1} (A^l)^T", "on the left side at layer l+1"),
    ("matrix", "deep", "delta1 = (W1.T @ delta2) * g1'(Z1)", "at layer 2"),
    ("matrix", "deep", "dE/dW2 = delta2 @ A2.T", "at layer 1"),
    ("matrix", "deep", r"\delta^l_{ic} = \sum_k W^{l+1}_{ki} \delta^{l+2}_{kc} {g^l}'(Z^l_{ic})", "at layer l+1"),
    ("ufldl", "ufldl-deep", r"\epsilon_i^{(l)} = \epsilon_q^{(l+1)}W^{(l+1)}_{qi}\sigma'(z_i^{(l)})", "at layer l"),
    ("theta", "theta-deep", r"\frac{\partial J}{\partial \theta_{p,q}^l} = \frac{1}{m} \sum_{i=1}^m \delta_p^{l} "
                            r"h^{(l)}(z_q^{(l)})", "at layer l+1"),
])
def test_a_wrong_layer_index_gets_a_diagnosis(name, net, text, at):
    verdict = check(derivation(net), text, name)
    layer = [d for d in verdict.diagnoses if d.kind == "layer"]
    assert verdict.status == "wrong" and layer and at in layer[0].message, verdict.text()


@pytest.mark.parametrize("text, says", [
    ("dW1 = " + "np.dot(" * 12 + "dZ1" + ", ones @ ones.T)" * 12, "too much work"),
    ("dZ1 = " + "(W2.T).dot(W2).dot(" * 8 + "dZ1" + ")" * 8, "too much work"),
    ("db1 = " + "np.sum(" * 45 + "dZ1" + ", axis=1)" * 45, "at most 300 names"),
    ("dZ1 = " + "np.exp(" * 41 + "dZ1" + ")" * 41, "nested too deeply"),
])
def test_the_budget_bounds_the_new_syntax(text, says):
    with pytest.raises(SpecError, match=says):
        check(derivation("generic"), text)


@pytest.mark.parametrize("text, status", [
    (r"\delta^{2} = (\mathrm{A}^2 - Y) \odot {g^2}'(Z^2) / m", "proved"),       # the layer after the upright name
    (r"\delta^{2} = ({\rm A}^2 - {\rm Y}) \odot {g^2}'(Z^2) / m", "proved"),    # the old switch, as \mathrm
    (r"\delta^{2} = ({\rm A}^{2} - Y) \odot {g^2}'(Z^2)", "wrong"),             # still wrong when it is
    (r"\mathrm{\delta}^{1} = ((\mathrm{W}^{2})^T \delta^{2}) \odot {g^1}'(\mathrm{Z}^1)", "proved"),
])
def test_upright_names_are_the_names(text, status):
    verdict = check(derivation("generic"), text)
    assert verdict.status == status, verdict.text()
    if status == "wrong":
        assert [d.kind for d in verdict.diagnoses] == ["factor"]


def test_bishops_bias_is_the_weight_of_input_zero():
    """w_{j0} is b_j (x_0 = 1); in the notations whose bias is not a weight, a unit 0 is still out of range."""
    d = derive(preset("bishop"))
    assert check(d, r"\frac{\partial E_n}{\partial w_{j0}} = \delta_j", "bishop").status == "proved"
    assert check(d, r"\frac{\partial E_n}{\partial w_{j0}} = \delta_j x_1", "bishop").status == "wrong"
    with pytest.raises(SpecError, match="does not exist"):
        check(derivation("generic"), "dE/dW1[1,0] = 0")
