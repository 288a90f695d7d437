"""A layer kind's backward rule derived step by step (``Layer.stages``, ``Layer.steps``), each step proved.

For one layer of a stack, at the stack's widths and batch m, the layer's inputs (x, and h for a second one),
parameters, data and upstream gradient dy = ∂E/∂y are symbols. E depends on the layer only through its
output y, so for first derivatives E may be taken as Σ dy ⊙ y (its gradient in y is dy, whatever the layers
above are): every ∂E/∂ below is exact for the whole network given dy.

The true ∂E/∂v of a stage v (batch norm's μ, σ², x̂) is the chain rule on the layer's own stages: v replaced
by fresh symbols V, the stages after it recomputed from V (the inputs and the stages before it held),
Σ dy ⊙ y differentiated by each component of V (SymPy's ``diff``, never a step's formula), then V put back as
its value. For an input or a parameter it is ``diff`` of Σ dy ⊙ y with every stage recomputed. Each step's
value (and each middle member of its display), computed from the forward values and the true ∂E/∂ of the
earlier steps' targets, must equal the true
∂E/∂ of its target at every component: ``graph.check`` (exact, else numeric at 50 digits at random points and
labelled so, else a counterexample). That the stages compose to the layer's forward rule is checked too.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from ..model.activations import RELU_AT_ZERO, step_convention
from ..model.kinds.base import Env, Layer, Step
from .graph import STRENGTH, Identity, check

ZERO = sp.Integer(0)


def _symbols(prefix: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{prefix}_{i + 1}_{j + 1}", real=True))


@dataclass
class StepCheck:
    """One step's verdict over every component of its target."""

    step: Step
    status: str = "proved"                  # the weakest of its components': proved | numeric | refuted
    how: str = ""
    components: int = 0
    counterexample: Identity | None = None


@dataclass
class LayerSteps:
    layer: Layer
    m: int
    forward: StepCheck | None = None        # the stages compose to the forward rule
    steps: list[StepCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "refuted" for c in [*self.steps, *([self.forward] if self.forward else [])])

    @property
    def status(self) -> str:
        checks = [*self.steps, *([self.forward] if self.forward else [])]
        return min((c.status for c in checks), key=lambda s: STRENGTH[s], default="proved")


def _verdict(step: Step, name: str, true: sp.Matrix, claimed: sp.Matrix, fix: Callable,
             values: dict[sp.Symbol, sp.Expr]) -> StepCheck:
    """Each component: first with every stage a free symbol (exact there holds for any values of them); else
    with the stages' values put in (an identity that needs x̂ = (x − μ)/√(σ² + ε), say)."""
    result = StepCheck(step)
    if not isinstance(claimed, sp.MatrixBase) or claimed.shape != true.shape:
        result.status = "refuted"
        result.how = f"its value has shape {getattr(claimed, 'shape', '()')}, not {true.shape}"
        return result
    residual = 0.0
    for i in range(true.rows):
        for j in range(true.cols):
            label = f"{name}[{i + 1},{j + 1}]"
            a, b = fix(true[i, j]), fix(claimed[i, j])
            result.components += 1
            identity = check(label, a, b)
            if identity.status != "proved":
                identity = check(label, a.xreplace(values), b.xreplace(values))
            if identity.status == "refuted":
                result.status, result.how, result.counterexample = "refuted", identity.how, identity
                return result
            if identity.status == "numeric":
                result.status, residual = "numeric", max(residual, identity.residual)
    result.how = ("exact: every component cancels to 0" if result.status == "proved" else
                  f"numeric: random points at 50 digits, largest residual {residual:.1e}")
    return result


def stage_gradients(layer: Layer, given: Env, dy: sp.Matrix) -> tuple[Env, Env, Env, dict[sp.Symbol, sp.Expr]]:
    """The chain rule on a layer's stages, mechanically: (each stage's value in ``given``'s symbols; ``given``
    with every stage a matrix of fresh symbols; ∂E/∂ of every stage, input, parameter and datum (E = Σ dy ⊙ y)
    in those symbols; each stage symbol's value). Each stage's expression in the symbols of what it reads is
    differentiated locally (``diff``) and the products accumulated from y down (reverse mode)."""
    forward: Env = dict(given)
    for stage in layer.stages:
        forward[stage.name] = stage.value(forward)
    symbolic: Env = dict(given)
    expressions: dict[str, sp.Matrix] = {}
    for stage in layer.stages:
        expressions[stage.name] = stage.value(symbolic)
        symbolic[stage.name] = _symbols(f"S{stage.name}", *forward[stage.name].shape)
    owner = {s: (name, i, j) for name, M in symbolic.items() if isinstance(M, sp.MatrixBase)
             for i in range(M.rows) for j in range(M.cols) for s in [M[i, j]]}
    gradients: Env = {name: sp.zeros(*M.shape) for name, M in symbolic.items() if isinstance(M, sp.MatrixBase)}
    gradients["y"] = dy
    for stage in reversed(layer.stages):
        upstream, expression = gradients[stage.name], expressions[stage.name]
        for i in range(expression.rows):
            for j in range(expression.cols):
                if upstream[i, j] == 0:
                    continue
                for s in expression[i, j].free_symbols & owner.keys():
                    name, a, b = owner[s]
                    gradients[name][a, b] += upstream[i, j] * sp.diff(expression[i, j], s)
    values = {symbolic[stage.name][i, j]: forward[stage.name][i, j] for stage in layer.stages
              for i in range(forward[stage.name].rows) for j in range(forward[stage.name].cols)}
    return forward, symbolic, gradients, values


def check_steps(layer: Layer, input_widths: tuple[int, ...], m: int,
                relu_at_zero: sp.Expr = ZERO) -> LayerSteps:
    """Prove each of ``layer.steps`` (see the module) for a layer reading inputs of ``input_widths`` rows."""
    def fix(expr: sp.Expr) -> sp.Expr:
        return step_convention(sp.sympify(expr), relu_at_zero).xreplace({RELU_AT_ZERO: relu_at_zero})

    given: Env = {name: _symbols(name, rows, m) for name, rows in zip(layer.input_names, input_widths, strict=True)}
    given.update({name: _symbols(name, r, c) for name, (r, c) in layer.parameters})
    given.update({name: _symbols(name, r, m if c is None else c) for name, (r, c) in layer.data})
    dy = _symbols("dy", layer.width, m)
    result = LayerSteps(layer, m)
    if not layer.steps:
        return result

    forward, symbolic, gradients, values = stage_gradients(layer, given, dy)
    xs = [given[name] for name in layer.input_names]
    parameters = {name: given[name] for name, _ in (*layer.parameters, *layer.data)}
    result.forward = _verdict(Step("y", "", "the stages compose to the forward rule", lambda f, g: f["y"]), "y",
                              layer.forward(xs, parameters), forward["y"], fix, {})

    known: Env = {"y": dy}
    for step in layer.steps:
        true = gradients[step.target]
        verdicts = [_verdict(step, f"dE/d{step.target}", true, member(symbolic, dict(known)), fix, values)
                    for member in (*step.also, step.value)]
        result.steps.append(min(verdicts, key=lambda v: STRENGTH[v.status]))
        known[step.target] = true
    return result
