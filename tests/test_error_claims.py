"""Claims about the error itself (E = …, J(W,b) = …, C = …) and the constructs textbooks write it with: norms
(‖v‖, \\left\\| \\right\\|, \\lVert \\rVert, ||v||, with _2 or _F), weight decay λ, UFLDL's n_l, Nielsen's y(x).

The truth is the forward pass's E; right definitions are proved exactly, wrong ones refuted with a counterexample
(and a diagnosis where one applies)."""
import pytest

from symbackprop import Network, check, derive, preset
from symbackprop.claims.parse import ClaimSyntaxError


@pytest.fixture(scope="module")
def mse():
    return derive(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2))


@pytest.mark.parametrize("claim", [
    r"E = 1/(2m) \sum_i \sum_c (A2[i,c] - Y[i,c])^2",
    r"E = \frac{1}{2m} \left\| A^2 - Y \right\|^2",
    r"E = \frac{1}{2m} \|A2 - Y\|_F^2",
    r"E = \frac{1}{2m} \lVert A2 - Y \rVert_{F}^2",
    "E = 1/(2m) ||A2 - Y||^2",
    "E = 1/(2m) ‖A2 - Y‖_2^2",
    r"E = \frac{1}{2m} \|Y - A^2\|^2",
])
def test_the_error_as_textbooks_write_it_is_proved(mse, claim):
    verdict = check(mse, claim)
    assert verdict.status == "proved" and verdict.instances == 1, verdict.text()


@pytest.mark.parametrize("claim, diagnosis", [
    (r"E = \frac{1}{m} \|A2 - Y\|^2", "factor"),             # the ½ forgotten
    (r"E = \frac{1}{2} \|A2 - Y\|^2", "factor"),             # the mean's 1/m forgotten
    (r"E = \frac{1}{2m} \|A1 - Y\|^2", None),                # the hidden layer: shapes differ at 2-3-1
    (r"E = \frac{1}{2m} \|A2 - Y\|", None),                  # the norm not squared
])
def test_a_wrong_error_is_refuted(mse, claim, diagnosis):
    verdict = check(mse, claim)
    assert verdict.status == "wrong", verdict.text()
    if diagnosis:
        assert diagnosis in [d.kind for d in verdict.diagnoses], verdict.text()


def test_lambda_on_a_network_without_weight_decay_is_checked_with_a_symbolic_lambda(mse):
    """λ was 0 on a network without weight decay, so any λ term 'held': a cost that decays only W¹, or a gradient
    with λW/m for λW, was proved. Now such a claim is checked with λ a symbol, random at each point, and says so."""
    right = check(mse, r"E = \frac{1}{2m} \|A2 - Y\|_F^2 + \frac{\lambda}{2} (\|W1\|_F^2 + \|W2\|_F^2)")
    assert right.status == "proved" and any("weight decay λ" in note for note in right.notes), right.text()
    assert check(mse, r"E = \frac{1}{2m} \|A2 - Y\|_F^2 + \frac{\lambda}{2} \|W1\|_F^2").status == "wrong"
    assert check(mse, "dE/dW1 = delta1 @ X.T + lambda * W1").status == "proved"
    assert check(mse, "dE/dW1 = delta1 @ X.T + lambda * W1 / m").status == "wrong"
    decayed = derive(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2, weight_decay=0.25))
    verdict = check(decayed, r"E = \frac{1}{2m} \|A2 - Y\|_F^2 + \frac{\lambda}{2} (\|W1\|_F^2 + \|W2\|_F^2)")
    assert verdict.status == "proved" and not any("weight decay λ" in note for note in verdict.notes)


def test_ufldl_cost_with_its_weight_decay_read_verbatim():
    """UFLDL's J(W,b) for one example, n_l the number of layers and s_l a layer's units (the notation read n_l as a
    size before, and the sum over l to n_l − 1 was an internal error)."""
    d = derive(preset("ufldl"))
    decay = (r"\frac{\lambda}{2} \sum_{l=1}^{n_l-1} \sum_{i=1}^{s_l} \sum_{j=1}^{s_{l+1}} "
             r"\left( W^{(l)}_{ji} \right)^2")
    right = check(d, r"J(W,b) = \frac{1}{2} \left\| a^{(3)} - y \right\|^2 + " + decay, "ufldl")
    assert right.status == "proved", right.text()
    assert check(d, r"J(W,b) = \left\| a^{(3)} - y \right\|^2 + " + decay, "ufldl").status == "wrong"
    assert check(d, r"J(W,b) = \frac{1}{2} \left\| a^{(3)} - y \right\|^2 + " + decay.replace("{2}", "{1}"),
                 "ufldl").status == "wrong"
    with pytest.raises(ClaimSyntaxError, match="the sum over l runs to a limit that depends on l itself"):
        check(d, r"J = \sum_{l=1}^{s_l} W^{(l)}_{11}", "ufldl")


def test_a_norm_needs_its_closing_bar_and_a_known_subscript(mse):
    with pytest.raises(ClaimSyntaxError, match="'‖' to close the norm"):
        check(mse, r"E = \frac{1}{2m} \|A2 - Y")
    with pytest.raises(ClaimSyntaxError, match="a norm's subscript is 2 .Euclidean. or F .Frobenius."):
        check(mse, r"E = \frac{1}{2m} \|A2 - Y\|_1^2")
    with pytest.raises(ClaimSyntaxError, match=r"the error E is read on the left of a claim about it \(E = …\) or in a partial"):
        check(mse, "delta2 = E * A2")


def test_ufldl_hypothesis_h_wb_of_x_is_the_output():
    """UFLDL writes the network's output as the hypothesis h_{W,b}(x) and one example's cost as
    J(W,b; x,y) = ½‖h_{W,b}(x) − y‖²: read verbatim, the subscript naming the parameters it depends on."""
    from symbackprop import check, derive, preset
    d = derive(preset("ufldl"))
    assert check(d, r"J(W,b; x,y) = \frac{1}{2}\|h_{W,b}(x) - y\|^2", "ufldl").status == "proved"
    assert check(d, r"J(W,b; x,y) = \|h_{W,b}(x) - y\|^2", "ufldl").status == "wrong"


def test_bishops_whole_error_is_the_sum_over_the_patterns_at_any_batch():
    """Bishop's E = Σ_n E_n has no 1/N: at a batch of 3 his E and ∂E/∂w are 3 times the network's mean ones, and
    reading them as the mean called them wrong (a false alarm). The notation says its error sums the examples."""
    from symbackprop import check, derive, preset
    d = derive(preset("bishop", batch=3))
    right = [r"E = \frac{1}{2}\sum_{n=1}^{N}\sum_k (y_{nk} - t_{nk})^2",
             r"\frac{\partial E}{\partial w_{kj}} = \sum_{n=1}^{N} \delta_{nk} z_{nj}",
             r"\frac{\partial E_n}{\partial w_{kj}} = \delta_k z_j"]
    for claim in right:
        assert check(d, claim, "bishop").status == "proved", claim
    wrong = check(d, r"\frac{\partial E}{\partial w_{kj}} = \frac{1}{N}\sum_{n=1}^{N} \delta_{nk} z_{nj}", "bishop")
    assert wrong.status == "wrong" and any("1/m" in x.message for x in wrong.diagnoses)
