"""Check reads what textbooks print (issue 14): precedence as textbooks mean it, the bias gradient at batch 1,
the implicit sample kept apart from a unit index, the constructs of the public texts, and a wrong layer index
diagnosed. Every right equation here was once called wrong (a false alarm), so each test failed before its fix."""
import functools

import pytest
import sympy as sp

from symbackprop import Network, check, derive, notation, preset
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
    assert claim.rhs == gprime(layer, Z[claim.lhs.indices]) * sp.Sum(
        W[layer + 1, k, i] * delta[layer + 1, k, c], (k, 1, n[layer + 1])), claim.rhs
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
