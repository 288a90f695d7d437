"""Each layer kind's backward rule derived step by step (``Layer.stages``/``steps``), every step proved on the
layer against the chain rule on its own stages (symbolic/steps.py), wrong steps refuted, and the stack's
write-up (writeup/stack_document.py) built into a real PDF and a Markdown page."""
import dataclasses
import os
import shutil
import subprocess

import pytest
import sympy as sp
from helpers import require_latex

from symbackprop.model.kinds import KINDS
from symbackprop.model.layers import network, parse_layers
from symbackprop.symbolic.steps import check_steps
from symbackprop.writeup.stack_document import boxed, prose, render_stack, stack_document, write_stack

# Every kind, and the variants whose steps differ (a shared slope, one to three time steps, activations).
STACKS = [
    ("input:3, dense:3, batchnorm, relu, dense:2", 3),
    ("input:3, layernorm, prelu, prelu:shared, dense:1", 3),
    ("input:3, dense:3, softmax, log_softmax, dropout:1/2, add:1, dense:1", 2),
    ("input:6, conv1d:2/2/2, tanh, dense:1", 2),
    ("input:6, conv1d:3/1/2, sigmoid, dense:1", 2),
    ("input:2, rnn:2/1, dense:1", 2),
    ("input:4, rnn:2/2, dense:1", 2),
    ("input:6, rnn:2/3, leaky_relu(0.2), dense:1", 2),
    ("input:2, dense:2, z*sigmoid(z), batchnorm, softplus, dropout:1/3, elu, dense:1", 2),
]
OVERFULL_LIMIT = 10.0


def _layers(spec: str):
    width, layers = parse_layers(spec)
    widths = [width]
    for layer in layers:
        yield layer, tuple(widths[len(widths) - back] for back in layer.inputs)
        widths.append(layer.width)


def test_every_kind_has_a_derivation_and_is_covered_here():
    covered = {layer.kind for spec, _ in STACKS for layer, _ in _layers(spec)}
    assert set(KINDS) | {"activation"} <= covered
    for spec, _ in STACKS:
        for layer, _ in _layers(spec):
            assert layer.steps and layer.stages and layer.stages[-1].name == "y" and layer.about, layer.label


@pytest.mark.parametrize(("spec", "m"), STACKS)
def test_every_step_of_every_layer_is_proved(spec, m):
    for layer, inputs in _layers(spec):
        result = check_steps(layer, inputs, m)
        assert result.forward.status == "proved", layer.label
        assert [c.status for c in result.steps] == ["proved"] * len(layer.steps), (layer.label, [
            (c.step.target, c.how) for c in result.steps])
        # every parameter and every input gets its ∂E/∂ from some step: the derivation reaches the rule
        targets = {c.step.target for c in result.steps}
        assert {name for name, _ in layer.parameters} | set(layer.input_names) <= targets, layer.label


def _with_step(layer, index: int, **change):
    steps = list(layer.steps)
    steps[index] = dataclasses.replace(steps[index], **change)
    return dataclasses.replace(layer, steps=tuple(steps))


def _step_index(layer, target: str, last: bool = False) -> int:
    found = [k for k, step in enumerate(layer.steps) if step.target == target]
    return found[-1] if last else found[0]


def _planted(spec: str, position: int, target: str, value, last: bool = False):
    width, layers = parse_layers(spec)
    layer = layers[position]
    return _with_step(layer, _step_index(layer, target, last), value=value, also=())


PLANTED = [
    # batch norm's dx by the three paths, the μ path forgotten (the classic error)
    ("input:2, batchnorm, dense:1", 0, "x", (2,), 3, lambda f, g: sp.Matrix(*f["x"].shape, lambda i, c: (
        g["xhat"][i, c] / sp.sqrt(f["var"][i, 0] + sp.Rational(1, 100000))
        + g["var"][i, 0] * 2 * (f["x"][i, c] - f["mu"][i, 0]) / f["x"].cols)), False),
    # the softmax Jacobian's diagonal alone: dx = s ⊙ dy
    ("input:3, dense:3, softmax, dropout:1/2, dense:1", 1, "x", (3,), 2, lambda f, g: f["y"].multiply_elementwise(g["y"]), False),
    # BPTT truncated: ∂E/∂h_1 without W_hᵀ δ_2
    ("input:4, rnn:2/2, dense:1", 0, "h1", (4,), 2, lambda f, g: g["y"][0:2, :], False),
    # the convolution's weight gradient from the first output position alone
    ("input:6, conv1d:2/1/2, dense:1", 0, "W", (6,), 2, lambda f, g: sp.Matrix(1, 4, lambda _, ck: sp.Add(*[
        g["y"][0, n] * f["x"][(ck // 2) * 3 + ck % 2, n] for n in range(2)])), False),
    # dense: W's gradient as xᵀ dy's transpose the wrong way round (a shape error, refuted, not raised)
    ("input:3, dense:2, dense:1", 0, "W", (3,), 2, lambda f, g: f["x"] * g["y"].T, False),
    # layer norm's compact dx with γ outside the sums, batch norm's form copied
    ("input:3, layernorm, dense:1", 0, "x", (3,), 2, lambda f, g: sp.Matrix(*f["x"].shape, lambda i, c: (
        f["gamma"][i, 0] * (3 * g["y"][i, c] - sp.Add(*g["y"].col(c)) - f["xhat"][i, c] * sp.Add(*[
            g["y"][k, c] * f["xhat"][k, c] for k in range(3)])) / (3 * sp.sqrt(f["var"][0, c] + sp.Rational(1, 100000))))),
     True),
]


@pytest.mark.parametrize(("spec", "position", "target", "inputs", "m", "value", "last"), PLANTED,
                         ids=["batchnorm-mean", "softmax-diagonal", "bptt-truncated", "conv-one-position",
                              "dense-transposed", "layernorm-gain-outside"])
def test_a_planted_wrong_step_is_refuted(spec, position, target, inputs, m, value, last):
    layer = _planted(spec, position, target, value, last)
    result = check_steps(layer, inputs, m)
    bad = [c for c in result.steps if c.status == "refuted"]
    assert len(bad) == 1 and bad[0].step.target == target, [(c.step.target, c.status) for c in result.steps]
    assert not result.ok


def test_a_wrong_middle_member_of_a_display_is_refuted():
    """A chain of equalities is checked member by member, not only its last member."""
    width, layers = parse_layers("input:3, dense:3, softmax, dropout:1/2, dense:1")
    layer = layers[1]
    wrong_middle = (lambda f, g: f["y"].multiply_elementwise(g["y"]),)
    result = check_steps(_with_step(layer, 0, also=wrong_middle), (3,), 2)
    assert result.steps[0].status == "refuted"


def test_stages_that_are_not_the_forward_rule_are_refuted():
    width, layers = parse_layers("input:2, dense:2, dense:1")
    layer = layers[0]
    stages = (dataclasses.replace(layer.stages[0], value=lambda f: f["W"] * f["x"]),)   # the bias forgotten
    result = check_steps(dataclasses.replace(layer, stages=stages), (2,), 2)
    assert result.forward.status == "refuted" and not result.ok


def test_prose_escapes_words_and_keeps_maths():
    assert prose("50% of $x_{ic}$ & more", "latex") == r"50\% of $x_{ic}$ \& more"
    assert prose("a_b and $a_b$", "markdown") == r"a\_b and $a_b$"
    assert boxed(r"a = b,\quad c = d,\ e = f") == ["a &= b", "c &= d", "e &= f"]


@pytest.fixture(scope="module")
def engine():
    return require_latex()


WRITE_UPS = [
    ("input:3, dense:4, batchnorm, relu, dense:4, add:2, layernorm, dense:3, softmax", "cce"),
    ("input:6, conv1d:2/2/2, prelu, rnn:2/2, dense:2, log_softmax", "nll"),
    ("input:3, dense:3, dropout:1/2, prelu:shared, dense:3, tanh, dense:1, sigmoid", "bce"),
]


@pytest.mark.parametrize(("spec", "loss"), WRITE_UPS)
def test_the_stack_write_up_compiles_and_holds_every_step(engine, tmp_path, spec, loss):
    stack = network(spec, loss=loss, batch=3)
    written = write_stack(stack, tmp_path, edition="teacher")
    assert written.ok and not written.problems
    assert sorted(p.name for p in tmp_path.iterdir()) == ["derivation.md", "derivation.pdf", "derivation.tex"]
    log = next(iter(written.logs.values()))
    assert log.errors == () and not [o for o in log.overfull if o[0] > OVERFULL_LIMIT], log.overfull
    tex = (tmp_path / "derivation.tex").read_text()
    md = (tmp_path / "derivation.md").read_text()
    for layer, _ in _layers(spec):
        for step in layer.steps:                     # every step of every rule is in both documents
            assert step.tex in tex and step.tex in md, step.tex
    assert "FAILS" not in tex and "refuted" not in tex.split(r"\section{The whole stack}")[1].split("refuted.")[1]
    assert md.count("$$") % 2 == 0 and "\\VAR" not in md and "\\BLOCK" not in md


def test_the_student_edition_keeps_the_evidence_in_an_appendix():
    stack = network("input:2, batchnorm, dense:1", batch=3)
    doc = stack_document(stack, edition="student")
    tex = render_stack(doc, "tex")
    assert r"\appendix" in tex and "Checked at all" not in tex
    assert "Every step above holds at each of its components on this layer (" in tex
    teacher = render_stack({**doc, "edition": "teacher"}, "tex")
    assert "Checked at all 6 components: proved exactly" in teacher and r"\appendix" not in teacher
    # a later layer with the same rule points back to the first one's derivation
    repeated = stack_document(network("input:2, dense:2, tanh, dropout:1/2, dense:2, tanh, dense:1", batch=3))
    assert [s["k"] for s in repeated["sections"]] == [1, 2, 3, 6] and repeated["sections"][0]["later"] == [4]
    assert repeated["sections"][1]["later"] == [5]


SCRIPT = shutil.which("symbackprop")


def run(*args, cwd=None):
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=os.environ)


def test_derive_takes_a_layer_stack(tmp_path):
    out = run("derive", "--layers", "input:2, batchnorm, dense:1", "--format", "tex,md", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == ("symbackprop derive: layers input:2, batchnorm, dense:1; loss mse, batch 3; "
                                          "each layer's own notation")
    assert sorted(p.name for p in (tmp_path / "derivation").iterdir()) == ["derivation.md", "derivation.tex"]
    out = run("derive", "--layers", "input:2, batchnorm, dense:1", "--notation", "theta", cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "drop --notation" in out.stderr


def test_a_stack_past_the_work_budget_is_refused_before_any_step_is_derived(tmp_path, monkeypatch):
    """derive and check on a stack are bounded as verify is: one line, before any derivation step runs."""
    from symbackprop.claims.stack import check_stack_claim
    from symbackprop.model.errors import SpecError
    from symbackprop.symbolic import steps
    from symbackprop.writeup import stack_document as sd

    def never(*args, **kwargs):
        raise AssertionError("a step was derived")
    monkeypatch.setattr(sd, "check_steps", never)
    monkeypatch.setattr(steps, "stage_gradients", never)
    monkeypatch.setattr("symbackprop.claims.stack.stage_gradients", never)
    big = network("input:4, batchnorm, dense:1", batch=32)
    with pytest.raises(SpecError, match="writing up this stack at batch 32 needs about"):
        write_stack(big, tmp_path)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(SpecError, match="checking claims on this stack at batch 32"):
        check_stack_claim(big, "dx1 = dy1")
