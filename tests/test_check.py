"""Checking hand derivations: a corpus of claims, right and wrong, in every notation, with the diagnosis each
classic mistake must get; the seeds' boxed equations as their authors wrote them; the checker's own planted bugs."""
import functools
import importlib
import re

import numpy as np
import pytest
import sympy

from symbackprop import Network, SpecError, check, check_text, derive, lambdify, notation, preset
from symbackprop.claims.parse import ClaimSyntaxError
from symbackprop.symbolic.general import General
from symbackprop.writeup.printing import Printer

NETWORKS = {
    "generic": Network(sizes=(2, 3, 1), activations="generic", loss="mse", batch=2),      # matrix preset
    "sigmoid-mse": Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2),
    "theta": preset("theta"),                                                               # sigmoid, bce, m = 2
    "ufldl": preset("ufldl"),                                                               # sigmoid, mse, m = 1
    "ufldl-batch": preset("ufldl", batch=2),
    "softmax": Network(sizes=(2, 3, 3), activations=("tanh", "softmax"), loss="cce", batch=2),
    "square": Network(sizes=(2, 2, 2), activations="generic", loss="mse", batch=2),
    "decay": Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2, weight_decay="lam"),
    "deep": Network(sizes=(2, 3, 3, 1), activations="sigmoid", loss="mse", batch=2),
    "generic-3": Network(sizes=(2, 3, 1), activations="generic", loss="mse", batch=3),
    "generic-1": Network(sizes=(2, 3, 1), activations="generic", loss="mse", batch=1),
}


@functools.cache
def derivation(key):
    return derive(NETWORKS[key])


# (notation, network, claim, status, diagnosis kind that must be among the diagnoses)
CORPUS = [
    # --- right: the matrix notation, generic g^l (proved for every differentiable activation) ---
    ("matrix", "generic", "delta2 = (A2 - Y) * g2'(Z2) / m", "proved", None),
    ("matrix", "generic", "delta1 = (W2.T @ delta2) * g1'(Z1)", "proved", None),
    ("matrix", "generic", "dE/dW2 = delta2 * A1.T", "proved", None),
    ("matrix", "generic", "dE/db1 = delta1 @ ones", "proved", None),
    ("matrix", "generic", r"\delta^{l} = (W^{l+1})^T \delta^{l+1} \odot {g^{l}}'(Z^{l})", "proved", None),
    ("matrix", "generic", r"\frac{\partial E}{\partial W^l_{ij}} = \sum_{c=1}^m \delta^l_{ic} A^{l-1}_{jc}", "proved",
     None),
    ("matrix", "generic", "dE/dW1[2,1] = sum_c delta1[2,c] * X[1,c]", "proved", None),
    # seed 000's chain-rule identities, as the seed writes their final forms
    ("matrix", "generic", r"\frac{\partial E}{\partial W^l_{ij}} = \sum_{c=1}^m \frac{\partial E}{\partial Z^l_{ic}} "
                          r"A^{l-1}_{jc}", "proved", None),
    ("matrix", "generic", r"\frac{\partial E}{\partial b^l_i} = \sum_{c=1}^m \frac{\partial E}{\partial Z^l_{ic}}",
     "proved", None),
    ("matrix", "generic", r"\frac{\partial E}{\partial Z^l_{ic}} = \frac{\partial E}{\partial A^l_{ic}} "
                          r"{g^l}'(Z^l_{ic})", "proved", None),
    ("matrix", "generic", r"\frac{\partial E}{\partial A^l_{ic}} = \sum_{j=1}^{n^{l+1}} "
                          r"\frac{\partial E}{\partial Z^{l+1}_{jc}} W^{l+1}_{ji}", "proved", None),
    ("matrix", "generic", r"\frac{\partial E}{\partial A^L_{ic}} = \tfrac{1}{m} \left( A^L_{ic} - Y_{ic} \right)",
     "proved", None),
    # --- right: concrete activations, softmax, weight decay, and one that only holds numerically ---
    ("matrix", "sigmoid-mse", "delta2 = (A2 - Y) * A2 * (1 - A2) / m", "proved", None),
    ("matrix", "sigmoid-mse", "delta1 = (W2.T @ delta2) * A1 * (1 - A1)", "proved", None),
    ("matrix", "softmax", r"\delta^L_{ic} = \frac{1}{m} \left(A^L_{ic} \sum_{k=1}^{n^L} Y_{kc} - Y_{ic}\right)",
     "proved", None),
    ("matrix", "decay", "dE/dW2 = delta2 @ A1.T + lambda * W2", "proved", None),
    ("matrix", "sigmoid-mse", "delta2 = (A2 - Y) * g2'(Z2) / m + A2 - (1 + tanh(Z2 / 2)) / 2", "numeric", None),  # σ(z) = (1 + tanh(z/2))/2
    # --- right: seed 001 (theta) as its author writes (42), (43), (46), and (44) with its sum from 1 ---
    ("theta", "theta", r"\delta_p^L \equiv \left(h^L \left(z_p^L \right) - y \right) \left(1 - I_{p,0} \right) "
                       r"\quad (42)", "proved", None),
    ("theta", "theta", r"\delta_p^l \equiv \sum_{k=1}^{s_{l+1}} \delta_k^{l+1} \theta_{k,p}^l \Psi^l "
                       r"\left(z_p^l \right) \left(1 - I_{p,0} \right) \quad (43)", "proved", None),
    ("theta", "theta", r"\frac{\partial J}{\partial \theta_{p,q}^l} = \frac{1}{m} \sum_{i=1}^m \delta_p^{l+1} "
                       r"h^{(l)} \left(z_q^{(l)} \right)", "proved", None),
    ("theta", "theta", r"\frac{\partial J}{\partial \theta_{p,0}^l} = \frac{1}{m} \sum_{i=1}^m \delta_p^{l+1} "
                       r"\quad (46)", "proved", None),
    ("theta", "theta", r"\delta^{(l)} = \left((\theta^{(l)}_{:,1:})^T \delta^{(l+1)}\right) .* \Psi^{(l)}(z^{(l)})",
     "proved", None),
    # --- right: seed 002 (ufldl), its "more compactly" block, q summed by the repeated index ---
    ("ufldl", "ufldl", r"\frac{\partial J(W,x,y)}{\partial W^{(l)}_{ij}} &= a_j^{(l)}\epsilon_i^{(l+1)}", "proved",
     None),
    ("ufldl", "ufldl", r"\frac{\partial J(W,x,y)}{\partial b^{(l)}_{i}} &= \epsilon_i^{(l+1)}", "proved", None),
    ("ufldl", "ufldl", r"\epsilon_i^{(l)} & = \epsilon_q^{(l+1)}W^{(l)}_{qi}\sigma'(z_i^{(l)})", "proved", None),
    ("ufldl", "ufldl", r"\epsilon_i^{(L)} & = (a^{(L)}_i - y_i)\sigma'(z^{(L)}_i)", "proved", None),
    # --- wrong: the classic mistakes, each with its diagnosis ---
    ("matrix", "generic", "delta2 = (A2 - Y) * g2'(Z2)", "wrong", "factor"),               # 1/m missing
    ("matrix", "generic", "dE/dW2 = delta2 @ A1.T / m", "wrong", "factor"),                # 1/m twice
    ("matrix", "generic", "delta2 = (A2 - Y) * g2'(Z2) / (2*m)", "wrong", "factor"),       # factor 2
    ("matrix", "generic", "delta2 = (Y - A2) * g2'(Z2) / m", "wrong", "factor"),           # sign
    ("matrix", "generic", "delta2 = (A2 - Y) / m", "wrong", "gprime"),                     # g′(Z^L) missing
    ("matrix", "generic", "delta1 = (W2.T @ delta2) * g1'(Z1) * g1'(Z1)", "wrong", "gprime"),   # g′ twice
    ("theta", "theta", r"\delta^{(L)}_p = (h^{(L)}(z^{(L)}_p) - y_p) \Psi^{(L)}(z^{(L)}_p)", "wrong", "gprime"),
    ("matrix", "sigmoid-mse", "delta2 = (A2 - Y) / m", "wrong", "other network"),          # right for bce
    ("theta", "theta", r"\delta^{(L)}_p = (h^{(L)}(z^{(L)}_p) - y_p) \Psi^{(L)}(z^{(L)}_p)", "wrong", "other network"),
    ("matrix", "generic", "delta1 = (W2 @ delta2) * g1'(Z1)", "wrong", "transposition"),   # shapes do not fit
    ("matrix", "square", "delta1 = (W2 @ delta2) * g1'(Z1)", "wrong", "transposition"),    # shapes fit: values
    ("matrix", "generic", "dE/dW2 = A1 @ delta2.T", "wrong", "transposition"),
    ("ufldl", "ufldl", r"\epsilon_i^{(l)} = \epsilon_q^{(l+1)}W^{(l)}_{iq}\sigma'(z_i^{(l)})", "wrong",
     "transposition"),
    ("matrix", "generic", r"\delta^{l} = (A^l - Y) \odot {g^{l}}'(Z^{l}) / m", "wrong", "output layer"),
    ("matrix", "softmax", "delta2 = (A2 - Y) / m", "wrong", "assumption"),                 # needs Σ_k Y_kc = 1
    ("theta", "theta", r"\frac{\partial J}{\partial \theta_{p,q}^l} = \frac{1}{m} \sum_{i=0}^m \delta_p^{l+1} "
                       r"h^{(l)} \left(z_q^{(l)} \right) \quad (44)", "wrong", "range"),    # seed 001's slip: i = 0
    ("ufldl", "ufldl-batch", r"\frac{\partial J}{\partial W^{(l)}_{ij}} = a_j^{(l)}\epsilon_i^{(l+1)}", "wrong",
     "one sample"),
    ("matrix", "decay", "dE/dW2 = delta2 @ A1.T", "wrong", None),                          # λ W^2 missing
    ("matrix", "deep", "dE/dW1 = delta1 @ X.T / m", "wrong", "factor"),    # refuted at one point, never expanded
    ("matrix", "deep", r"\frac{\partial E}{\partial W^l} = \delta^l (A^{l-1})^T", "proved", None),
    ("matrix", "generic", r"dE/db2 = delta2 \mathbf{1}", "proved", None),                 # 1: always a product
    ("matrix", "generic", "dE/db2 = delta2 @ 1", "wrong", "shapes"),                      # not a column of ones
    ("matrix", "generic", "dE/db1 = delta1", "wrong", "shapes"),                          # the sum over samples
    ("matrix", "softmax", "delta2 = (A2 * (ones.T @ Y) - Y) / m", "proved", None),        # DESIGN's (A^L (1ᵀY) − Y)/m
    ("matrix", "decay", "dE/dW1 = delta1 X^T", "wrong", "decay"),                          # λ W forgotten
    ("matrix", "decay", "dE/db1 = delta1 @ ones + lambda * b1", "wrong", "decay"),         # biases are not decayed
    # the right side cannot narrow the left side's range (found by review: these were proved)
    ("matrix", "generic", "dE/db1 = 0*X[i,1] + (W1[1,1]-W1[i,1])*(W1[2,1]-W1[i,1]) + delta1 @ ones", "wrong", None),
    ("matrix", "generic-3", "dE/dZ1 = 0*X[c,1] + (Y[1,1]-Y[1,c])*(Y[1,2]-Y[1,c]) + (W2.T @ dE/dZ2) * g1'(Z1)", "wrong",
     None),
    ("matrix", "generic", "dE/db2 = 0*A1[i,1] + sum_c delta2[i,c]", "proved", None),
    # values that are not numbers, and ratios that change sign: wrong, not a crash
    ("matrix", "generic", "delta2 = 1/0", "wrong", None),
    ("matrix", "generic", "delta2 = log(0)", "wrong", None),
    ("matrix", "generic", "delta2 = A2/(A2 - A2)", "wrong", None),
    ("matrix", "generic-1", "dE/dW1[2,1] = delta1[1,1]*X[2,1]", "wrong", None),
    # found by a soundness attack: a reused summation letter keeps the range of its own sum ...
    ("matrix", "generic", "dE/db2[1] = sum_c delta2[1,c] + (sum_k W1[1,k]*X[k,1]) + b1[1] - Z1[1,1] + "
                          "(sum_k W2[1,k]*A1[k,1]) + W2[1,3]*A1[3,1] + b2[1] - Z2[1,1]", "wrong", None),
    ("matrix", "generic", "dE/db2[1] = sum_c delta2[1,c] + (sum_k W1[1,k]*X[k,1]) + b1[1] - Z1[1,1] + "
                          "(sum_k W2[1,k]*A1[k,1]) + b2[1] - Z2[1,1]", "numeric", None),
    # ... an unindexed weight matrix is not read at the left side's unit and sample ...
    ("matrix", "square", "dE/dZ1[i,c] = dE/dA1[i,c] * g1'(Z1[i,c]) + W1 - W1[i,c]", "wrong", "shapes"),
    # ... and theta's layer 1 is the input, h^(1) the identity and Ψ^(1) = 1 (seed 001), not a skipped layer
    ("theta", "theta", r"\frac{\partial J}{\partial \theta_{p,q}^l} = \frac{1}{m} \sum_{i=1}^m \delta_p^{l+1} "
                       r"h^{(l)}(z_q^{(l)}) \Psi^{(l)}(z_q^{(l)}) / (h^{(l)}(z_q^{(l)}) (1 - h^{(l)}(z_q^{(l)})))",
     "wrong", None),
    ("theta", "theta", r"\frac{\partial J}{\partial \theta_{p,q}^{(1)}} = \frac{1}{m} \sum_{i=1}^m \delta_p^{(2)} x_q "
                       r"\Psi^{(1)}(z_q^{(1)})", "proved", None),
    ("matrix", "sigmoid-mse", "delta1 = (W2.T @ delta2) * A1 * (1 + A1)", "wrong", None),
]


@pytest.mark.parametrize("name, net, claim, message", [
    ("matrix", "generic", "delta2[i,c] = sum_c (A2[i,c]-Y[i,c]) g2'(Z2[i,c]) / m", "the sum runs over c, an index of "
                                                                                   "the left side"),
    ("theta", "theta", r"\delta^{(1)}_p = 0", "layer 1 is the input layer: it has no pre-activation or error signal"),
    ("matrix", "generic", "delta9 = A9", "is stated at no layer of this 2-3-1 network"),
    ("matrix", "generic", "dE/dW1[9,9] = 0", "says nothing about this 2-3-1 network: W¹[9,9] does not exist: the "
                                             "units there are 1..3"),
    ("matrix", "generic", "delta2[5,1] = A2[5,1]", "δ²[5,1] does not exist: the units there are 1..1"),
    ("matrix", "generic", "delta2[1,7] = A2[1,7]", "δ²[1,7] does not exist: the samples are 1..2"),
    ("matrix", "generic", "delta1[i,7] = A1[i,7]", "the samples are 1..2"),
    ("matrix", "generic", "delta0 = A1", "has no delta at layer 0: it is the input layer"),
    ("matrix", "generic", r"\delta^0 = A^1", r"'\delta^0 = A^1': this 2-3-1 network has no delta at layer 0"),
    ("theta", "theta", r"\delta_p^L = \left(h^L(z_p^L) - y\right) + I_{p,q}", "q has no range here"),
    ("matrix", "generic", "delta1[i,c] = (sum_k W2[k,i]*delta2[k,c]) * g1'(Z1[i,c]) + W2[k,1]", "k has no range here"),
])
def test_claims_that_say_nothing_here_are_refused_with_the_reason(name, net, claim, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        check(derivation(net), claim, name)


def test_a_claim_with_some_instances_out_of_range_is_wrong_there_not_refused():
    """Only a claim whose every instance names a unit or sample the network lacks says nothing about it."""
    verdict = check(derivation("generic"), "delta^l[3,1] = A^l[3,1]")
    assert verdict.status == "wrong" and any("the units there are 1..1" in f.reason for f in verdict.failures)
    assert any(f.reason == "" for f in verdict.failures)


def test_the_corpus_covers_what_the_issue_asks():
    assert len(CORPUS) >= 30
    assert {row[0] for row in CORPUS} == {"matrix", "theta", "ufldl"}
    kinds = {row[4] for row in CORPUS if row[4]}
    assert kinds >= {"factor", "gprime", "transposition", "other network", "output layer", "assumption"}
    assert sum(row[3] == "wrong" for row in CORPUS) >= 15 and sum(row[3] != "wrong" for row in CORPUS) >= 15


@pytest.mark.parametrize("name, net, claim, status, kind", CORPUS, ids=[f"{r[0]}-{r[1]}-{k}" for k, r in
                                                                        enumerate(CORPUS)])
def test_corpus(name, net, claim, status, kind):
    verdict = check(derivation(net), claim, name)
    assert verdict.status == status, verdict.text()
    if status == "wrong":
        assert verdict.failures or verdict.diagnoses, verdict.text()
        for f in verdict.failures:
            assert f.reason or not abs(f.claim - f.truth) <= 1e-9 * max(1, abs(f.truth)), f      # NaN differs too
    else:
        assert verdict.instances > 0 and not verdict.failures
        assert verdict.method.startswith("exact") if status == "proved" else "numeric" in verdict.method
    if kind:
        assert kind in [d.kind for d in verdict.diagnoses], verdict.text()


@pytest.mark.parametrize("claim, message", [
    ("delta2 = (A2 - Y) * g2'(Z2)", "the 1/m of the mean over the m samples is missing"),
    ("dE/dW2 = delta2 @ A1.T / m", "an extra factor 1/m"),
    ("delta2 = (A2 - Y) * g2'(Z2) / (2*m)", "a factor 2 is missing"),
    ("delta2 = (A2 - Y) * g2'(Z2) * 2 / m", "a factor 2 too many"),
    ("delta2 = (Y - A2) * g2'(Z2) / m", "the wrong sign"),
])
def test_a_constant_factor_is_named(claim, message):
    """m = 2 here: 'twice' and 'm times' are told apart by checking again with m = 3."""
    diagnoses = check(derivation("generic"), claim).diagnoses
    assert [d.kind for d in diagnoses] == ["factor"] and message in diagnoses[0].message and diagnoses[0].proved


def test_the_classic_delta_L_is_right_for_sigmoid_with_cross_entropy_not_with_mse():
    verdict = check(derivation("sigmoid-mse"), "delta2 = (A2 - Y) / m")
    messages = {d.kind: d.message for d in verdict.diagnoses}
    assert "right for" in messages["other network"] and "bce with a sigmoid output" in messages["other network"]
    assert "a factor g²′(Z²[i,c]) is missing" == messages["gprime"]
    assert check(derive(Network(sizes=(2, 3, 1), activations="sigmoid", loss="bce", batch=2)),
                 "delta2 = (A2 - Y) / m").status == "proved"


def test_right_only_at_the_output_layer_says_where_it_fails():
    verdict = check(derivation("generic"), r"\delta^{l} = (A^l - Y) \odot {g^{l}}'(Z^{l}) / m")
    assert verdict.layers == "l = 1..2" and verdict.failed == 6 and verdict.instances == 8
    assert any("Y_(21) does not exist" in f.reason or "Y" in f.reason for f in verdict.failures)


def test_a_counterexample_is_the_truth_computed_independently():
    """The values shown agree with lambdified NumPy gradients at the point shown."""
    d = derivation("sigmoid-mse")
    verdict = check(d, "dE/dW2 = delta2 @ A1.T / m")
    failure = verdict.failures[0]
    assert failure.instance.endswith("i=1, j=1")
    point = failure.point
    params = {"W1": np.array([[point[f"W1_{i}_{j}"] for j in (1, 2)] for i in (1, 2, 3)]),
              "b1": np.array([point[f"b1_{i}"] for i in (1, 2, 3)]),
              "W2": np.array([[point[f"W2_1_{j}"] for j in (1, 2, 3)]]), "b2": np.array([point["b2_1"]])}
    X = np.array([[point[f"X_{i}_{c}"] for c in (1, 2)] for i in (1, 2)])
    Y = np.array([[point[f"Y_1_{c}"] for c in (1, 2)]])
    gradient = lambdify(d).gradient(params, X, Y, route="direct")
    assert failure.truth == pytest.approx(gradient["W2"][0, 0], rel=1e-9)
    assert failure.claim == pytest.approx(gradient["W2"][0, 0] / 2, rel=1e-9)


# --- every boxed equation the write-ups print, read back and proved ---------------------------------------------

ROUND_TRIP = [Network(sizes=(2, 3, 1), activations="generic", batch=2),
              Network(sizes=(2, 3, 1), activations="sigmoid", loss="bce", batch=2),
              Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=1),
              Network(sizes=(2, 3, 3), activations=("tanh", "softmax"), loss="cce", batch=2),
              Network(sizes=(2, 2, 2, 1), activations="generic", batch=1, weight_decay="lam")]


@pytest.mark.parametrize("net", ROUND_TRIP, ids=lambda net: f"{'-'.join(map(str, net.sizes))}-{net.loss}")
@pytest.mark.parametrize("name", ["matrix", "theta", "ufldl"])
def test_what_the_printer_writes_the_checker_reads_and_proves(net, name):
    """The printer's LaTeX is accepted syntax; each boxed equation holds, and the short softmax δ^L only
    under its assumption (which the checker names)."""
    d = derive(net)
    printer, general = Printer.for_network(notation(name), net), General(d.chain, notation(name))
    for eq in general.boxed():
        latex = printer.latex(general.display(eq.lhs)) + " = " + printer.latex(general.display(eq.rhs))
        verdict = check(d, latex, name)
        if eq.assumption:
            assert not verdict.ok and [x.kind for x in verdict.diagnoses][0] == "assumption", verdict.text()
        else:
            assert verdict.status == "proved", verdict.text()


def test_a_derivation_file_is_checked_in_order():
    text = "\n".join([r"% seed 002, as written", r"\begin{align}",
                      r"\frac{\partial J(W,x,y)}{\partial W^{(l)}_{ij}} &= a_j^{(l)}\epsilon_i^{(l+1)}\\",
                      r"\frac{\partial J(W,x,y)}{\partial b^{(l)}_{i}} &= \epsilon_i^{(l+1)}\\",
                      r"\epsilon_i^{(l)} & = \epsilon_q^{(l+1)}W^{(l)}_{qi}\sigma'(z_i^{(l)})\\",
                      r"\epsilon_i^{(L)} & = (a^{(L)}_i - y_i)\sigma'(z^{(L)}_i)", r"\end{align}"])
    verdicts = check_text(derivation("ufldl"), text, "ufldl")
    assert [line for line, _ in verdicts] == [3, 4, 5, 6]
    assert all(v.status == "proved" for _, v in verdicts)


def test_a_syntax_error_in_a_file_names_its_line_before_anything_is_checked():
    with pytest.raises(ClaimSyntaxError, match=r"line 3, column 11: expected a quantity"):
        check_text(derivation("generic"), "delta2 = (A2 - Y) * g2'(Z2) / m\n\ndelta1 = +\n")


# --- the checker's own planted bugs -------------------------------------------------------------------------------

def test_a_checker_that_looked_at_one_instance_would_pass_a_transposed_weight(monkeypatch):
    """Plant: only the first assignment of the indices checked. The swapped W is right at i = 1 (q = 1) and
    wrong elsewhere, so the corpus row above would fail under this plant."""
    check_module = importlib.import_module("symbackprop.claims.check")     # the package's name check is the function
    claim = r"\epsilon_i^{(l)} = \epsilon_q^{(l+1)}W^{(l)}_{iq}\sigma'(z_i^{(l)})"
    original = check_module._Network.at_layer
    monkeypatch.setattr(check_module._Network, "at_layer", lambda self, c, layer: original(self, c, layer)[:1])
    assert check(derivation("ufldl"), claim, "ufldl").ok


def test_a_checker_that_forgot_the_per_sample_scale_would_fail_seed_001(monkeypatch):
    """Plant: theta's δ read as ∂E/∂Z (scale 1) instead of m ∂E/∂Z: (42) no longer holds."""
    from symbackprop.symbolic import general
    monkeypatch.setattr(general, "signal_scale", lambda names: sympy.Integer(1))
    verdict = check(derivation("theta"), r"\delta_p^L = h^L(z_p^L) - y_p", "theta")
    assert verdict.status == "wrong" and verdict.diagnoses[0].kind == "factor"


def test_a_repair_stops_building_instances_at_the_first_refuted_one(monkeypatch):
    """A variant network refuted at its first instance builds only that instance (the diagnosis of a wrong claim
    about 8-16-16-4 at batch 8 tries 14 networks of 128 instances each); a claim checked in full builds all."""
    from symbackprop.claims import check as checking
    built = []
    original = checking._Network._instance
    monkeypatch.setattr(checking._Network, "_instance", lambda self, claim, at: built.append(at) or original(
        self, claim, at))
    d = derive(Network(sizes=(2, 4, 1), activations="generic", loss="mse", batch=3))
    verdict = check(d, "delta1 = (W2.T @ delta2) * A1 * (1 - A1)")
    assert verdict.status == "wrong" and verdict.instances == 12 and verdict.failed == 12
    assert [d.kind for d in verdict.diagnoses] == ["other network"] and "sigmoid hidden layers" in \
        verdict.diagnoses[0].message
    variants = len(built) - 12
    assert 0 < variants <= 14 + 12, built      # one per variant refuted at once, the sigmoid one in full


def test_a_counterexample_on_a_wide_network_prints_a_screenful_and_json_keeps_every_input():
    """On 10-10-10-10 at batch 10 the one wrong line listed all 640 inputs of the point; now 24 and a count."""
    from symbackprop.claims.check import MAX_POINT_SHOWN
    verdict = check(derive(Network(sizes=(3, 4, 2), activations="sigmoid", loss="mse", batch=3)), "dE/dW1[1,1] = 0")
    point = verdict.failures[0].point
    assert len(point) == 12 + 4 + 8 + 2 + 9 + 6 > MAX_POINT_SHOWN                # W1 b1 W2 b2 X Y
    text = verdict.text()
    assert text.count("=") - text.split("but truth")[0].count("=") == MAX_POINT_SHOWN
    assert f"… and {len(point) - MAX_POINT_SHOWN} more (--json gives them all)" in text
    assert verdict.to_dict()["failures"][0]["point"] == point


def test_a_deep_generic_network_is_refused_in_one_line_not_with_gigabytes():
    """Through 100 one-unit layers the generic g's quadratic stand-in doubles a value's exponent at each layer;
    mpmath's tanh of such a number asked for 24 GB and the kernel killed the check. Past 2^100000 the
    evaluation now stops with one line."""
    from symbackprop.symbolic.points import MAX_MAGNITUDE, random_point
    deep = derive(Network(sizes=(1,) * 101, activations="generic", loss="mse", batch=1))
    refused = []
    for seed in range(6):                                # the numeric test's points, at its scales
        try:
            random_point(deep.forward, seed, 1 + seed % 4, k=seed)
        except SpecError as error:
            refused.append(str(error))
    assert refused and all(f"grow past 2^{MAX_MAGNITUDE} through this network's layers" in e for e in refused)
    # the claim is now refuted at the first point, where δ¹ is tiny but really different (a second look at twice
    # the precision shows it), before any point whose values grow
    assert check(deep, "delta1 = W2^T delta2 * sigmoid'(Z1)").status == "wrong"
    shallow = derive(Network(sizes=(1,) * 6, activations="generic", loss="mse", batch=1))
    assert not check(shallow, "delta1 = W2^T delta2 * sigmoid'(Z1)").ok      # in range: refuted as before


def test_a_wrong_claim_about_a_vanishing_gradient_is_refuted_at_once():
    """Through 40 sigmoid layers δ¹ is ~1e-45: the cheap probe measured the difference against max(1, |value|),
    saw less than its 1e-40, and sent the wrong claim to an exact method that expanded a product of 39 sums
    (past 300 s). Relative to the values, the probe sees it and the numeric test refutes it."""
    deep = derive(Network(sizes=(1,) * 41, activations="sigmoid", loss="mse", batch=1))
    verdict = check(deep, "delta1 = W2^T delta2")
    assert verdict.status == "wrong" and verdict.failed == 1
    truth, claim = verdict.failures[0].truth, verdict.failures[0].claim
    assert 0 < abs(truth) < 1e-40 and abs(claim - truth) > abs(truth)      # a real difference, at ~1e-45
    assert check(deep, "delta1 = W2^T delta2 * sigmoid'(Z1)").ok               # the right one still holds


@pytest.mark.parametrize("layers", [81, 100])
def test_a_wrong_claim_below_the_numeric_tests_absolute_tolerance_is_refuted(layers):
    """Through 81 sigmoid layers δ¹ is ~1e-90, below the numeric test's absolute 1e-60 as well as the probe's:
    the wrong claim passed it and went to an exact expansion (past 120 s). The numeric test now looks again, at
    twice the precision, wherever tiny values differ relative to themselves: a real difference stays, rounding
    shrinks. The right claim still holds, and is proved."""
    deep = derive(Network(sizes=(1,) * (layers + 1), activations="sigmoid", loss="mse", batch=1))
    verdict = check(deep, "delta1 = W2^T delta2")
    assert verdict.status == "wrong" and verdict.failed == 1
    truth, claim = verdict.failures[0].truth, verdict.failures[0].claim
    assert 0 < abs(truth) < 1e-60 and abs(claim - truth) > abs(truth) / 10
    assert check(deep, "delta1 = W2^T delta2 * sigmoid'(Z1)").ok


def test_rounding_between_tiny_values_is_not_a_difference():
    """The second look decides by precision, not by size: two routes to the same tiny number, one through terms
    that cancel, differ by rounding at 100 digits (relative 1e-20 here, above the 1e-30 that asks for a second
    look) and agree at 200."""
    import sympy as sp

    from symbackprop.symbolic.points import random_point
    from symbackprop.symbolic.verify import _tiny_but_different
    d = derive(Network(sizes=(1, 1), activations="sigmoid", loss="mse", batch=1))
    z = d.forward.Z[1][0, 0]
    tiny = sp.exp(-200) * (1 + z) ** 2                     # ~1e-87
    same = sp.exp(-200) * (1 + 2 * z + z ** 2)
    make = lambda digits: random_point(d.forward, 0, 1, digits=digits)  # noqa: E731
    point = make(100)
    lhs, rhs = point.evaluate(tiny), point.evaluate(same) * (1 + sp.Float("1e-20", 100))   # cancellation-sized noise
    assert _tiny_but_different(make, lhs, rhs, tiny, same, None) is None
    wrong = sp.exp(-200) * (1 + z ** 2)
    assert _tiny_but_different(make, point.evaluate(tiny), point.evaluate(wrong), tiny, wrong, None) > 1e-3


def test_a_wrong_claim_zero_at_the_first_point_is_refuted_at_the_second():
    """On a relu-softmax network at batch 5 a relu unit can be off for every sample at the first probe: there
    dE/dW2 = δ² A¹ᵀ/m reads 0 = 0, and the wrong claim went to an exact expansion (93 s). A second point refutes it,
    and the factor is diagnosed though the truth is 0 at some instances."""
    import time
    d = derive(Network(sizes=(2, 3, 3), activations=("relu", "softmax"), loss="cce", batch=5))
    start = time.perf_counter()
    verdict = check(d, "dE/dW2 = delta2 @ A1.T / m")
    assert verdict.status == "wrong" and "factor" in [x.kind for x in verdict.diagnoses], verdict.text()
    assert time.perf_counter() - start < 60
