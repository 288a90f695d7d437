"""The network specification: a frozen description, validated at construction.

It holds one rule entry per layer (activations) and one loss entry, resolved from names,
parametrised names ("leaky_relu(0.2)"), formulas in z, or entries given; it does no SymPy work.
"""
from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise
from typing import Union, cast

from .activations import ACTIVATIONS, Activation, activation, allowed
from .errors import SpecError
from .losses import LOSSES, Loss
from .losses import loss as loss_entry

WeightDecay = Union[int, float, Fraction, str]  # noqa: UP007 (a runtime alias on 3.10)
_SYMBOL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
# Names the model itself uses (W1_2_1, X_1_1, dE_dZ1_1_1, g1, …): a weight-decay symbol may not take one.
_TAKEN = re.compile(r"([WbZA]\d+|[XY]|delta\d+)_\d|dE_d|d[AZ]\d|g\d+\Z|exp_|_s\d|_e\d")
_RESERVED = {"nan", "inf", "oo", "zoo", "E", "I", "pi"}

# symbackprop derives for *small* networks; past these sizes SymPy work takes minutes or memory.
# Layers: SymPy's expressions nest one level per layer, and its recursive algorithms pass Python's recursion
# limit at a few hundred layers (RecursionError from 400 one-unit layers); 100 keeps every command well inside.
LIMITS = {"parameters": 5000, "batch": 128, "layers": 100}


def _finite(value: numbers.Real) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:              # an int or Fraction past the float range
        return False


def _check_limit(what: str, value: int) -> None:
    if value > LIMITS[what]:
        raise SpecError(f"symbackprop derives for small networks: at most {LIMITS[what]} {what}; "
                        f"this network has {value}")


def check_symbolic_size(net: Network) -> None:
    """Symbolic work is per parameter: refuse a network past LIMITS before starting it.

    The NumPy matrix route needs no per-parameter symbols, so a Network itself may be any size.
    """
    _check_limit("parameters", net.parameter_count)
    _check_limit("layers", net.depth)


def symbolic_fits(net: Network) -> bool:
    """Within LIMITS for symbolic work (else only the NumPy matrix route applies)."""
    return net.parameter_count <= LIMITS["parameters"] and net.depth <= LIMITS["layers"]


def _check_sizes(sizes) -> tuple[int, ...]:
    if isinstance(sizes, str) or not isinstance(sizes, Sequence):
        raise SpecError(f"sizes must be a sequence of layer widths such as (2, 3, 1); got {sizes!r}")
    if len(sizes) < 2:
        raise SpecError("sizes needs at least two layers (input and output), n_0..n_L with L >= 1; "
                        f"got {tuple(sizes)!r}")
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise SpecError(f"every layer width must be a positive integer; got {n!r} in sizes {tuple(sizes)!r}")
    return tuple(int(n) for n in sizes)


_BARE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _rule(spec, layer: int) -> Activation:
    if isinstance(spec, str) and _BARE_NAME.match(spec.strip()) and spec.strip() not in ACTIVATIONS:
        raise SpecError(f"unknown activation {spec!r} for layer {layer}; allowed: {allowed()}")
    try:
        return activation(spec)
    except SpecError as e:
        raise SpecError(f"layer {layer}: {e}") from None


def _check_activations(activations, depth: int) -> tuple[Activation, ...]:
    if isinstance(activations, (str, Activation)):
        specs = (activations,) * depth
    elif isinstance(activations, Sequence):
        specs = tuple(activations)
    else:
        raise SpecError(f"activations must be a name such as 'sigmoid', an Activation, or a sequence of them; "
                        f"got {activations!r}")
    if len(specs) != depth:
        raise SpecError(f"activations needs one name for every layer or one per layer 1..{depth} "
                        f"({depth} names); got {len(specs)}")
    rules = tuple(_rule(spec, l) for l, spec in enumerate(specs, start=1))
    for l, rule in enumerate(rules, start=1):
        if rule.output_only and l != depth:
            raise SpecError(f"{rule.name} is only allowed on the output layer {depth}; layer {l} is hidden")
    return rules


def label(rule: Activation) -> str:
    """An activation as a name a reader (and Network) takes back: sigmoid, leaky_relu(slope=1/5), z*sigmoid(z)."""
    if rule.parameters:
        return f"{rule.name}({', '.join(f'{k}={v}' for k, v in rule.parameters)})"
    return rule.name


def _check_output(output: Activation, units: int) -> None:
    if not output.elementwise and units < 2:
        raise SpecError(f"{output.name} needs at least 2 output units (over one unit it is the constant 1); "
                        f"the output layer has {units}: use sigmoid for a single output")


def _check_loss(spec, output: Activation) -> Loss:
    if isinstance(spec, str) and spec.replace(" ", "") not in LOSSES and "(" not in spec:
        raise SpecError(f"unknown loss {spec!r}; allowed: {', '.join(LOSSES)}")
    rule = loss_entry(spec) if isinstance(spec, (str, Loss)) else None
    if rule is None:
        raise SpecError(f"unknown loss {spec!r}; allowed: {', '.join(LOSSES)}")
    if rule.needs_softmax and output.elementwise:
        raise SpecError(f"{rule.name} needs a softmax output layer; the output activation is {output.name}")
    if rule.needs_unit_interval and not output.in_unit_interval:
        confined = [n for n, a in ACTIVATIONS.items() if a.in_unit_interval]
        raise SpecError(f"{rule.name} needs outputs confined to (0, 1), from {' or '.join(confined)}; "
                        f"the output activation is {output.name}")
    return rule


def _check_weight_decay(value) -> WeightDecay:
    name = getattr(value, "name", None) if getattr(value, "is_Symbol", False) else None
    if name is not None or isinstance(value, str):
        name = name or value
        if not _SYMBOL_NAME.match(name) or name in _RESERVED or _TAKEN.match(name):
            raise SpecError(f"weight_decay must be a number >= 0 or a plain symbol name such as 'lam' "
                            f"that the network does not use itself; got {name!r}")
        return name
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not (cast(float, value) >= 0 and _finite(value))):
        raise SpecError(f"weight_decay must be a finite number >= 0 or a symbol name; got {value!r}")
    return cast(WeightDecay, value)


@dataclass(frozen=True)
class Network:
    """A small fully connected network: widths n_0..n_L, activations g^1..g^L, loss, batch m.

    >>> Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2).depth
    2
    """

    sizes: tuple[int, ...] = (2, 3, 1)
    activations: str | Activation | Sequence[str | Activation] = "sigmoid"
    loss: str | Loss = "mse"
    batch: int = 2
    weight_decay: WeightDecay = 0
    relu_at_zero: float = 0           # the convention for relu'(0), a subgradient in [0, 1]
    layer_activations: tuple[str, ...] = field(init=False, repr=False, compare=False)
    layer_rules: tuple[Activation, ...] = field(init=False, repr=False)
    loss_rule: Loss = field(init=False, repr=False)

    def __post_init__(self) -> None:
        sizes = _check_sizes(self.sizes)
        object.__setattr__(self, "sizes", sizes)
        rules = _check_activations(self.activations, len(sizes) - 1)
        names = tuple(label(r) for r in rules)
        object.__setattr__(self, "layer_rules", rules)
        object.__setattr__(self, "activations", names[0] if len(set(names)) == 1 else names)
        object.__setattr__(self, "layer_activations", names)
        _check_output(rules[-1], sizes[-1])
        loss = _check_loss(self.loss, rules[-1])
        object.__setattr__(self, "loss_rule", loss)
        object.__setattr__(self, "loss", loss.name if not loss.parameters else
                           f"{loss.name}({', '.join(f'{k}={v}' for k, v in loss.parameters)})")
        if isinstance(self.batch, bool) or not isinstance(self.batch, numbers.Integral) or self.batch < 1:
            raise SpecError(f"batch must be a positive integer number of samples m; got {self.batch!r}")
        object.__setattr__(self, "weight_decay", _check_weight_decay(self.weight_decay))
        _check_limit("batch", self.batch)
        at_zero = self.relu_at_zero
        if isinstance(at_zero, bool) or not isinstance(at_zero, numbers.Real) or not 0 <= at_zero <= 1:
            raise SpecError(f"relu_at_zero must be a number in [0, 1] (a subgradient of relu at 0); got {at_zero!r}")
        if at_zero != 0 and not any(r.kinks for r in rules):
            raise SpecError(f"relu_at_zero (H(0), the derivative's value at a kink) only applies to a network with "
                            f"a kinked activation such as relu; the activations are {', '.join(names)}")

    @property
    def depth(self) -> int:
        """L, the number of layers with weights."""
        return len(self.sizes) - 1

    def activation(self, layer: int) -> str:
        """The activation name of layer l = 1..L (its entry's name: leaky_relu, whatever the slope)."""
        return self.layer_rules[layer - 1].name

    def rule(self, layer: int) -> Activation:
        """The activation entry of layer l = 1..L: everything about it."""
        return self.layer_rules[layer - 1]

    @property
    def parameter_count(self) -> int:
        return sum(n * (p + 1) for p, n in pairwise(self.sizes))
