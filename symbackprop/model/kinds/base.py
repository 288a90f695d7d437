"""The interface every layer kind implements: a ``Kind`` entry builds ``Layer``s.

A ``Kind`` is one entry of the registry (``kinds.KINDS``): its name as written in a layer sequence
(``batchnorm``, ``dense:3``), what its argument is, and ``build(argument, widths)``, which reads the
argument (``""`` when there is none) given the widths of every node so far (``widths[0]`` is the input,
``widths[-1]`` the node the layer reads by default) and returns a ``Layer`` or raises ``SpecError`` (one
line). Everything about the kind lives in its module: no code elsewhere branches on its name.

A ``Layer`` is the kind applied at one place of the stack. A batch of m samples is held as columns, as in
the rest of the project, so each node is a matrix of (width × m) components. It holds:

- ``inputs``: which nodes it reads, as offsets back from it (``(1,)``: the node just before; a residual
  ``add:k`` reads two);
- ``width``: the rows of its output;
- ``parameters``: its trainable parameters, name -> (rows, cols); ``data``: arrays given with the data, not
  trained (dropout's mask), name -> (rows, cols), where cols ``None`` means m;
- ``forward(xs, values)``: the output as a SymPy Matrix from the input matrices ``xs`` (one per input) and
  ``values`` (name -> Matrix, parameters and data). Written on components, it is the ground truth the
  direct side differentiates, one local ``diff`` per edge;
- ``backward(xs, y, values, dy)``: the backward rule as a textbook prints it: given the upstream gradient
  ``dy`` = ∂E/∂(output) (a Matrix of symbols), the output ``y`` and the inputs, it returns
  (one ∂E/∂x Matrix per input, {parameter: ∂E/∂parameter Matrix}). It is proved against the chain rule,
  never trusted;
- ``tex_forward`` / ``tex_backward``: the two rules in LaTeX, for documents and messages;
- ``numeric``: (forward, backward) with the same signatures, equal to the two rules but finite where they
  overflow, for the generated NumPy code (an activation's stable form); ``None``: the rules themselves;
- ``draw(rng, m)``: random values of its ``data`` for a batch of m (NumPy arrays by name), for gradcheck;
- ``activation``: the table's entry when the layer is an activation the dense short form can hold;
  ``refused``: why the layer graph does not derive this layer (then only the short form takes it);
- ``claim_names``: the names a ``check`` claim about the layer may use beyond the ones every layer has
  (x its input, y its output, dy the upstream gradient, h a second input, its parameters and data by name,
  its stages and d<name> for their ∂E/∂): (name, meaning, value(xs, values)), ``values`` holding dy too, such
  as batch norm's ``eps`` or a recurrent layer's time steps ``x2`` (a claim writes ``x1[2]``);
- ``analytic``: complex-step differentiation applies (no kink, no |·|);
- ``stages`` and ``steps``: the backward rule derived step by step, for ``derive``'s write-up. ``stages``
  are the forward rule's named intermediates in the order computed (batch norm's μ, σ², x̂, y; the last is
  always ``y``), each a ``Stage``: its LaTeX and its value from the inputs (``x``, a second input ``h``),
  the parameters, the data and the stages before it. ``steps`` are the derivation, each a ``Step``:
  ∂E/∂(target) for a stage, an input or a parameter, its LaTeX, the reason in words, and its value from the
  forward values and the ∂E/∂ of the targets of the steps before it (and ``y``: dy). Each step is proved
  against the chain rule on the layer's own stages (symbolic/steps.py), never trusted; ``about``: a
  paragraph that introduces the kind and cites where its rules are printed;
- ``autodiff(ops, xs, values)``: the forward rule in an autodiff library's array operations, for the
  independent references: ``ops`` holds numeric/autodiff.py's ``Ops`` (exp, log, tanh, where, softplus,
  column_lse, total) and ``sqrt``, ``row_sum`` (Σ over the batch: (n × m) -> (n × 1)) and ``column_sum``
  (Σ over the rows: (n × m) -> (1 × m)), ``rows`` (a list of arrays stacked by rows, one array); arrays
  are (width × m), parameters as shaped, and ``values`` also holds ``relu_at_zero``, the stack's H(0);
  ``None``: those references refuse this layer, saying so, and never substitute another formula.

A kind module defines one ``KIND`` (the entry) and may define a wrong rule for the planted-error tests
(named ``planted_*``); register it by adding the module to ``kinds/__init__.py``.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..errors import SpecError

Values = dict[str, sp.Matrix]
Forward = Callable[[list[sp.Matrix], Values], sp.Matrix]
Backward = Callable[[list[sp.Matrix], sp.Matrix, Values, sp.Matrix], tuple[list[sp.Matrix], Values]]


Env = dict[str, Any]     # name -> value: inputs x (and h), parameters, data, stages; or their ∂E/∂


@dataclass(frozen=True)
class Stage:
    """One named intermediate of a forward rule: ``name`` (``mu``; the last stage is ``y``), its LaTeX and its
    value from the inputs, parameters, data and earlier stages (an ``Env``)."""

    name: str
    tex: str
    value: Callable[[Env], sp.Matrix] = field(compare=False)


@dataclass(frozen=True)
class Step:
    """One step of a backward rule's derivation: ∂E/∂``target`` is ``value(forward, gradients)``, where
    ``forward`` holds the forward values (as ``Stage.value``'s) and ``gradients`` the ∂E/∂ of ``y`` (dy) and of
    every earlier step's target. ``tex`` is the step as printed; ``why`` says which rule it uses. A display
    that is a chain of equalities (the Jacobian sum, then its closed form) gives the middle members' values in
    ``also``: each member is checked, not only the last."""

    target: str
    tex: str
    why: str
    value: Callable[[Env, Env], sp.Matrix] = field(compare=False)
    also: tuple[Callable[[Env, Env], sp.Matrix], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Layer:
    kind: str
    label: str                                               # as written in the sequence: "dense:3"
    width: int
    forward: Forward = field(compare=False)
    backward: Backward = field(compare=False)
    inputs: tuple[int, ...] = (1,)
    parameters: tuple[tuple[str, tuple[int, int]], ...] = ()
    data: tuple[tuple[str, tuple[int, int | None]], ...] = ()
    tex_forward: str = ""
    tex_backward: str = ""
    numeric: tuple[Forward, Backward] | None = field(default=None, compare=False)
    analytic: bool = True
    autodiff: Callable[..., Any] | None = field(default=None, compare=False)
    # A layer that is one of the table's activations after a dense layer: the dense short form can hold it.
    activation: Any = field(default=None, compare=False)
    refused: str = ""       # why the layer graph cannot derive it (it may still serve the dense short form)
    draw: Callable[[Any, int], dict[str, Any]] | None = field(default=None, compare=False)   # random data
    # The names a ``check`` claim about this layer may use beyond x, y, dy, its parameters and data (those
    # every layer has): name -> (what it means, its value from (xs, values) as a Matrix or a number).
    claim_names: tuple[tuple[str, str, Callable[[list[sp.Matrix], Values], Any]], ...] = field(
        default=(), compare=False)
    stages: tuple[Stage, ...] = field(default=(), compare=False)
    steps: tuple[Step, ...] = field(default=(), compare=False)
    about: str = field(default="", compare=False)
    # Names a textbook gives a stage's ∂E/∂ (a recurrent layer's δ_t for ∂E/∂a_t): (name, stage) such as
    # ("delta2", "a2"); ``check`` reads them on both sides of a claim.
    gradient_aliases: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def input_names(self) -> tuple[str, ...]:
        """How the steps name the inputs: ``x``, and ``h`` for a second one (a residual's skip)."""
        return ("x", "h")[:len(self.inputs)]


@dataclass(frozen=True)
class Kind:
    name: str
    argument: str                                            # for messages: "its units"; "" when it takes none
    build: Callable[[str, tuple[int, ...]], Layer] = field(compare=False)
    limits: str = ""                                         # the kind's bounds beyond the project's LIMITS


def no_argument(kind: str, argument: str) -> None:
    if argument:
        raise SpecError(f"{kind} takes no argument; got {kind}:{argument}")


def whole(kind: str, argument: str, what: str = "a whole number of units >= 1", low: int = 1) -> int:
    if not re.fullmatch(r"\d{1,6}", argument) or int(argument) < low:
        raise SpecError(f"{kind}:n takes {what}; got {kind}:{argument}")
    return int(argument)
