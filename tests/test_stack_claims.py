"""check on a layer stack: the corpus of printed equations (tests/corpus/layers.json), right ones proved, wrong
ones refuted with a counterexample that is re-evaluated here against an independent chain rule."""
import json
import pathlib
import subprocess

import pytest
import sympy as sp

from symbackprop.claims.stack import StackClaimError, check_stack_claim
from symbackprop.model.layers import network
from symbackprop.symbolic.graph import Graph

CORPUS = json.loads((pathlib.Path(__file__).parent / "corpus" / "layers.json").read_text(encoding="utf-8"))["entries"]


def test_corpus_is_broad():
    assert len(CORPUS) >= 10 and all(e["source"] for e in CORPUS)
    assert {True, False} == {e["right"] for e in CORPUS}


@pytest.mark.parametrize("entry", CORPUS, ids=[e["id"] for e in CORPUS])
def test_corpus_entry(entry):
    stack = network(entry["layers"], loss="mse", batch=entry["batch"])
    verdict = check_stack_claim(stack, entry["claim"])
    if entry["right"]:
        assert verdict.status == "proved", verdict.text()
        return
    assert verdict.status == "wrong" and verdict.counterexample
    if "diagnosis" in entry:
        assert entry["diagnosis"] in verdict.diagnosis, verdict.diagnosis
    # Re-evaluate: E differentiated by the component itself, through the whole graph, against the claim's value.
    claim_value, _ = verdict.values
    graph = Graph(stack)
    at = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in verdict.counterexample.items()}
    k = verdict.layer
    name, index = verdict.component.split("[")
    i, j = (int(t) - 1 for t in index.rstrip("]").split(","))
    target = name[1:-len(str(k))]
    by = graph.H[stack.sources(k)[0]] if target == "x" else graph.values[k][target]
    direct = graph.local(k, by[i, j]).xreplace(at)
    assert float(sp.N(direct)) == pytest.approx(verdict.values[1])
    assert abs(float(sp.N(direct)) - claim_value) > 1e-9 * max(abs(float(sp.N(direct))), abs(claim_value))


def test_the_direct_side_is_not_the_kinds_rule(monkeypatch):
    """A wrong backward rule in the kind does not make a wrong claim right: the claim meets the forward rule."""
    stack = network("input:2, batchnorm, dense:1", loss="mse", batch=3)
    layer = stack.layers[0]
    object.__setattr__(layer, "backward", lambda xs, y, values, dy: ([dy], {}))
    assert check_stack_claim(stack, "dx1 = dy1").status == "wrong"


@pytest.mark.parametrize("claim, message", [
    ("dx1 = __import__('os')", "cannot read"), ("dx1 = dy2", "layer 2"), ("dq1 = dy1", "has the gradients"),
    ("dx1 = zz1", "no name"), ("dx1 == dy1", "one equation"), ("dx9 = dy9", "layers 1 to"),
    ("dgamma1 = dy1", "right side is"), ("dx1 = foo(dy1)", "unknown function"),
    ("dx1 = gamma1 @ dy1", "shapes do not fit"), ("dx1 = dy1 @ 2", "@ multiplies two arrays"),
    ("dx1 = diag(dy1) @ x1", "diag"), ("dq1 = dy1", "dmu1, dvar1, dxhat1"), ("dx1 = xhat1[2]", "no name"),
    ("dx1 = np.correlate(x1, dy1, 'same')", "'valid' or 'full'"), ("dx1 = correlate(x1)", "or correlate"),
    ("dx1 = (x1 + 1)**100000", "an exponent is a whole number"), ("dx1 = dy1**(1/1000)", "simple fraction")])
def test_unreadable_claims_are_one_line(claim, message):
    stack = network("input:2, batchnorm, dense:1", loss="mse", batch=3)
    with pytest.raises(StackClaimError, match=message.replace("(", r"\(")):
        check_stack_claim(stack, claim)


def test_cli_check_layers():
    stack = "input:3, dense:3, dropout:1/2, tanh, dense:1"
    ok = subprocess.run(["symbackprop", "check", "--layers", stack, "dx2 = dy2 * mask2 / (1 - p2)"],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "1 claim: 1 hold (1 proved)" in ok.stdout
    bad = subprocess.run(["symbackprop", "check", "--layers", stack, "dx2 = dy2 * mask2"],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "counterexample" in bad.stdout and "1/(1 − p)" in bad.stdout
    error = subprocess.run(["symbackprop", "check", "--layers", stack, "dW2 = dy2"], capture_output=True, text=True)
    assert error.returncode == 2 and len(error.stderr.strip().splitlines()) == 1 and "Traceback" not in error.stderr


def test_a_stage_claim_is_proved_against_the_chain_rule_on_the_stages_not_the_step():
    """Ioffe & Szegedy's ∂ℓ/∂σ² is checked against reverse-mode diff over the layer's stages: a wrong sign in
    the exponent is refuted even though no kind's backward rule mentions σ²'s gradient."""
    stack = network("input:2, batchnorm, dense:1", loss="mse", batch=3)
    right = "dvar1 = sum_c(dxhat1 * (x1 - mu1)) * (-1/2) * (var1 + eps1)**(-3/2)"
    assert check_stack_claim(stack, right).status == "proved"
    wrong = check_stack_claim(stack, right.replace("(-3/2)", "(-1/2)"))
    assert wrong.status == "wrong" and wrong.component == "dvar1[1,1]"


def test_time_steps_are_subscripts_and_delta_is_the_pre_activations_gradient():
    stack = network("input:6, rnn:2/3, dense:1", loss="mse", batch=2)
    assert check_stack_claim(stack, "delta1[3] = dy1[3] * (1 - h1[3]**2)").status == "proved"
    assert check_stack_claim(stack, "da1[2] = (dy1[2] + Wh1.T @ delta1[3]) * (1 - h1[2]**2)").status == "proved"
    wrong = check_stack_claim(stack, "delta1[2] = dy1[2] * (1 - h1[2]**2)")
    assert wrong.status == "wrong" and wrong.component.startswith("delta1[2][")
    with pytest.raises(StackClaimError, match=r"delta1\[4\]: layer 1 \(rnn:2/3\) has the gradients .*da1\[3\]"):
        check_stack_claim(stack, "delta1[4] = dy1[3]")


@pytest.mark.parametrize("function", ["correlate", "convolve"])
@pytest.mark.parametrize("mode", ["valid", "full"])
def test_correlate_and_convolve_are_numpys(function, mode):
    """The claim grammar's sliding sums against NumPy's own, a sequence of 5 and a kernel of 3, both orders."""
    import ast

    import numpy as np

    from symbackprop.claims import stack as claims

    class Names:
        names = {"a": sp.Matrix([1, 2, 3, 5, 7]), "v": sp.Matrix([[2, -1, 4]]), "w": sp.Matrix([2, -1, 4])}

        def value(self, name):
            return self.names[name]
    for first, second, a, v in [("a1", "v1", [1, 2, 3, 5, 7], [2, -1, 4]), ("w1", "v1", [2, -1, 4], [2, -1, 4])]:
        node = ast.parse(f"{function}({first}, {second}, '{mode}')", mode="eval").body
        got = claims._sliding(node, Names(), 1)
        assert [int(x) for x in got] == list(getattr(np, function)(a, v, mode))


def test_a_product_of_many_matrices_is_refused_before_it_is_built_out():
    """Forty products of a 3×3 matrix: each entry's tree grows threefold a product (it ran past a minute); the
    size is counted as the right side is built and refused past the bound, in one line."""
    stack = network("input:3, dense:3, dropout:1/2, dense:1", loss="mse", batch=2)
    with pytest.raises(StackClaimError, match="written out has more than 1,000,000 terms"):
        check_stack_claim(stack, "dx1 = " + " @ ".join(["W1.T"] * 40) + " @ dy1")
    assert check_stack_claim(stack, "dx1 = " + " @ ".join(["W1.T"] * 1) + " @ dy1").status == "proved"
