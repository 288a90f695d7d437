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
    assert abs(float(sp.N(direct)) - claim_value) > 1e-9


def test_the_direct_side_is_not_the_kinds_rule(monkeypatch):
    """A wrong backward rule in the kind does not make a wrong claim right: the claim meets the forward rule."""
    stack = network("input:2, batchnorm, dense:1", loss="mse", batch=3)
    layer = stack.layers[0]
    object.__setattr__(layer, "backward", lambda xs, y, values, dy: ([dy], {}))
    assert check_stack_claim(stack, "dx1 = dy1").status == "wrong"


@pytest.mark.parametrize("claim, message", [
    ("dx1 = __import__('os')", "cannot read"), ("dx1 = dy2", "layer 2"), ("dq1 = dy1", "has the gradients"),
    ("dx1 = zz1", "no name"), ("dx1 == dy1", "one equation"), ("dx9 = dy9", "layers 1 to"),
    ("dgamma1 = dy1", "right side is"), ("dx1 = foo(dy1)", "unknown function")])
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
