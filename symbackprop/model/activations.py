"""Activation functions: one entry each, holding everything about that activation.

An entry is the one place that knows an activation. Its fields say, in order of use:

- ``formula(z, layer)``: g(z), what the forward pass uses, so SymPy's ``diff`` of it is the
  ground truth (softmax acts on a column: ``formula(column, i)``);
- ``derivative(z, a, layer)``: g'(z) as a textbook prints it (in z and the activation a), used by
  the δ equations and proved equal to SymPy's derivative, never trusted. ``None``: SymPy's
  derivative of the formula is the textbook form too (no second copy is typed);
- ``stable(z)``: an equal form the NumPy code computes where the formula overflows (``stable``'s
  functions); its derivative is SymPy's too, unless the textbook form is written in ``a`` alone;
- ``kinks``: where g' jumps; there g' takes the network's stated step value H(0) (``relu_at_zero``);
  ``analytic``: complex-step differentiation applies (no kink, no |z|);
- ``names``: how a claim may write g (``sigma`` for sigmoid), beside the entry's name;
- ``numpy`` / ``numpy_derivative``: what the hand-written back-prop uses, written by hand apart
  from SymPy; ``autodiff(ops, z, h)``: g in an autodiff library's operations. An entry without
  them is refused by those references, with the reason, never replaced by another formula.

``ACTIVATIONS`` is the registry by name; ``register`` adds one (see the README's "Add an
activation"); ``Activation.from_formula`` reads a formula in z with the claims' whitelisting parser.
"""
from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from .errors import SpecError
from .formula import Z, read
from .stable import Erf, Expit, LogSumExp, Softplus

# The table's step value H(0) in relu-type derivatives: a placeholder a derivation replaces by the
# network's relu_at_zero. Heaviside(−z) takes 1 − H(0), so that H(z) + H(−z) = 1 everywhere.
RELU_AT_ZERO = sp.Symbol("relu_at_zero")
z_ = sp.Symbol("z", real=True)            # the pre-activation in the entries' formulas


def step_convention(expr: sp.Expr, h: sp.Expr) -> sp.Expr:
    """Every Heaviside(u) with the stated value at 0: h where u leads with +, 1 − h where with −."""
    if not expr.has(sp.Heaviside):
        return expr

    def stated(e: sp.Heaviside) -> sp.Heaviside:
        u = e.args[0]
        return sp.Heaviside(u, 1 - h if u.could_extract_minus_sign() else h)

    return expr.replace(lambda e: isinstance(e, sp.Heaviside), stated)


def _derived(formula: Callable[..., sp.Expr]) -> Callable[..., sp.Expr]:
    """g'(z) by SymPy's diff of the formula, with the stated step value at kinks."""
    def derivative(z: sp.Expr, a: sp.Expr, layer: int) -> sp.Expr:
        return step_convention(sp.diff(formula(z_, layer), z_), RELU_AT_ZERO).xreplace({z_: z})
    return derivative


@dataclass(frozen=True)
class Activation:
    name: str
    formula: Callable[..., sp.Expr] = field(compare=False)         # (z, layer) -> g(z); softmax: (column, i)
    derivative: Callable[..., sp.Expr] | None = field(default=None, compare=False)  # textbook g'(z, a, layer)
    stable: Callable[..., sp.Expr] | None = field(default=None, compare=False)  # equal, finite; like formula
    numpy: Callable[..., Any] | None = field(default=None, compare=False)             # hand-written g(z)
    numpy_derivative: Callable[..., Any] | None = field(default=None, compare=False)  # hand-written g'(z, a, h)
    numpy_backward: Callable[..., Any] | None = field(default=None, compare=False)    # column rules: (a, upstream)
    autodiff: Callable[..., Any] | None = field(default=None, compare=False)          # (ops, z, h) -> g(z)
    parameters: tuple[tuple[str, sp.Expr], ...] = ()   # e.g. (("slope", 1/100),): part of the entry's identity
    kinks: tuple[float, ...] = ()                       # where g' jumps
    names: tuple[str, ...] = ()                         # further names a claim may use for g
    in_unit_interval: bool = False                      # outputs confined to (0, 1): allowed before bce
    output_only: bool = False                           # softmax: a column operation, only on layer L
    elementwise: bool = True
    analytic: bool = True                               # complex-step differentiation applies
    source: str = ""                                    # the formula a user gave (from_formula)

    @property
    def concrete(self) -> bool:
        """Has a numeric value: no undefined function g^l in its formula (generic has none)."""
        if not self.elementwise:
            return True
        return not self.formula(z_, 1).atoms(AppliedUndef)

    @property
    def textbook_derivative(self) -> Callable[..., sp.Expr]:
        """g' as the δ equations write it: the entry's textbook form, else SymPy's derivative."""
        return self.derivative if self.derivative is not None else _derived(self.formula)

    def numeric_value(self, z: Any, layer: int) -> sp.Expr:
        """g(z) as the NumPy code computes it: the stable form where there is one (softmax: (column, i))."""
        return (self.stable or self.formula)(z, layer)

    def numeric_derivative(self, z: sp.Expr, a: sp.Expr, layer: int) -> sp.Expr:
        """g'(z) as the NumPy code computes it: a textbook form in a alone (finite wherever a is),
        else SymPy's derivative of the stable form, else the textbook form."""
        textbook = self.textbook_derivative(z, a, layer)
        if self.stable is None or (self.derivative is not None and z not in textbook.free_symbols):
            return textbook
        return step_convention(sp.diff(self.stable(z_, layer), z_), RELU_AT_ZERO).xreplace({z_: z})

    def with_parameters(self, **values: Any) -> Activation:
        """The entry with other parameter values, through its factory (``PARAMETRISED``)."""
        if self.name not in PARAMETRISED:
            raise SpecError(f"{self.name} has no parameters; parametrised activations: {', '.join(PARAMETRISED)}")
        return PARAMETRISED[self.name](**values)

    @staticmethod
    def from_formula(name: str, formula: str) -> Activation:
        """An activation from a formula in z, read by the claims' whitelisting parser (never eval).

        >>> Activation.from_formula("swish", "z / (1 + exp(-z))").formula(sp.Symbol("x"), 1)
        x/(1 + exp(-x))
        """
        if not isinstance(name, str) or not name.strip():
            raise SpecError(f"an activation from a formula needs a name; got {name!r}")
        expr, stable, kinks, analytic = read(formula)
        return Activation(name, lambda z, l: expr.xreplace({Z: z}),
                          stable=None if stable == expr else (lambda z, l: stable.xreplace({Z: z})),
                          kinks=kinks, analytic=analytic, source=sp.srepr(expr))


def generic_function(layer: int) -> sp.Function:
    """The undefined activation g^l of layer l: proofs with it hold for every differentiable g."""
    return sp.Function(f"g{layer}", real=True)


_NUMBER = re.compile(r"[+-]?(?:\d{1,30}(?:\.\d{0,30})?|\.\d{1,30})(?:[eE][+-]?\d{1,2})?|[+-]?\d{1,30}/\d{1,30}")
PARAMETER_RANGE = (sp.Rational(1, 10**6), sp.Integer(10**6))


def exact(value: Any) -> sp.Rational:
    """Exactly the number given: 0.1 is 1/10 as written, not the nearest binary fraction.

    Text is a decimal of at most 30 digits with an exponent of at most two digits, or p/q: the cost
    of reading it is bounded (``Fraction("1e999999999")`` would build a billion-digit integer)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise SpecError(f"a parameter must be a finite real number; got {value!r}")
    if isinstance(value, numbers.Rational):
        return sp.Rational(int(value.numerator), int(value.denominator))
    text = repr(float(value)) if isinstance(value, float) else str(value).strip()
    if not _NUMBER.fullmatch(text):
        raise SpecError(f"a parameter must be a finite real number written with at most 30 digits and an "
                        f"exponent of at most 99; got {value!r}")
    try:
        out = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise SpecError(f"a parameter must be a finite real number; got {value!r}") from None
    return sp.Rational(out.numerator, out.denominator)


def positive(name: str, value: Any) -> sp.Rational:
    """A rule's positive parameter, exactly, in [1e-6, 1e6]: beyond it the float the NumPy side uses
    is no longer the number the proofs use (1e-400 is 0.0 as a float)."""
    out = exact(value)
    low, high = PARAMETER_RANGE
    if not low <= out <= high:
        raise SpecError(f"{name} must be a number in [1e-6, 1e6]; got {value!r}")
    return out


# --- the hand-written and autodiff references' own formulas (NumPy; an Ops namespace) ----------

def _np_sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def _np_softmax(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def _np_step(z, h: float):
    """H(z) with H(0) = h."""
    return np.where(z > 0, 1.0, np.where(z < 0, 0.0, h))


_np_erfc = np.vectorize(math.erfc, otypes=[float])   # 1 + erf(x) = erfc(−x), without cancellation


# --- the entries ---------------------------------------------------------------------------------

def _softmax(column: list[sp.Expr], i: int) -> sp.Expr:
    return sp.exp(column[i]) / sp.Add(*[sp.exp(z) for z in column])


def _softmax_jacobian(a: list[sp.Expr], i: int, k: int) -> sp.Expr:
    """∂a_i/∂z_k = a_i (I_ik − a_k)."""
    return a[i] * ((1 if i == k else 0) - a[k])


def leaky_relu(slope: Any = Fraction(1, 100)) -> Activation:
    """max(z, 0) + slope·min(z, 0); g'(0) = slope + H(0)(1 − slope), between the two slopes."""
    s = positive("leaky_relu's slope", slope)
    f = float(s)
    return Activation("leaky_relu", lambda z, l: sp.Max(z, 0) + s * sp.Min(z, 0),
                      numpy=lambda z: np.where(z > 0, z, f * z),
                      numpy_derivative=lambda z, a, h: f + (1 - f) * _np_step(z, h),
                      autodiff=lambda ops, z, h: ops.where(z > 0, z, ops.where(z < 0, f * z, (f + (1 - f) * h) * z)),
                      parameters=(("slope", s),), kinks=(0.0,), analytic=False, names=("lrelu",))


def elu(alpha: Any = 1) -> Activation:
    """z for z > 0, α(e^z − 1) below: written max(z, 0) + α(e^{min(z, 0)} − 1), which never overflows."""
    al = positive("elu's alpha", alpha)
    f = float(al)
    return Activation("elu", lambda z, l: sp.Max(z, 0) + al * (sp.exp(sp.Min(z, 0)) - 1),
                      numpy=lambda z: np.where(z > 0, z, f * np.expm1(np.minimum(z, 0.0))),
                      numpy_derivative=lambda z, a, h: (_np_step(z, h)
                                                        + f * np.exp(np.minimum(z, 0.0)) * _np_step(-z, 1 - h)),
                      autodiff=lambda ops, z, h: ops.where(z > 0, z, ops.where(
                          z < 0, f * (ops.exp(ops.where(z < 0, z, 0 * z)) - 1), (h + f * (1 - h)) * z)),
                      parameters=(("alpha", al),), kinks=() if al == 1 else (0.0,), analytic=False)


ACTIVATIONS: dict[str, Activation] = {}
PARAMETRISED: dict[str, Callable[..., Activation]] = {"leaky_relu": leaky_relu, "elu": elu}


def register(entry: Activation) -> Activation:
    """Add an activation to the registry (by its name); returns it."""
    if not isinstance(entry, Activation):
        raise SpecError(f"register takes an Activation; got {type(entry).__name__}")
    ACTIVATIONS[entry.name] = entry
    return entry


for _entry in (
    Activation("sigmoid", lambda z, l: 1 / (1 + sp.exp(-z)), lambda z, a, l: a * (1 - a), stable=lambda z, l: Expit(z),
               numpy=_np_sigmoid, numpy_derivative=lambda z, a, h: a * (1 - a),
               autodiff=lambda ops, z, h: ops.exp(-ops.softplus(-z)), names=("sigma", "logistic"),
               in_unit_interval=True),
    Activation("tanh", lambda z, l: sp.tanh(z), lambda z, a, l: 1 - a**2,
               numpy=np.tanh, numpy_derivative=lambda z, a, h: 1 - a * a, autodiff=lambda ops, z, h: ops.tanh(z)),
    # relu'(0) does not exist: its value there is the network's stated H(0), relu_at_zero.
    Activation("relu", lambda z, l: sp.Max(0, z), numpy=lambda z: np.maximum(z, 0.0),
               numpy_derivative=lambda z, a, h: _np_step(z, h),
               autodiff=lambda ops, z, h: ops.where(z > 0, z, ops.where(z < 0, 0 * z, h * z)),
               kinks=(0.0,), analytic=False),
    Activation("identity", lambda z, l: z, lambda z, a, l: sp.Integer(1), numpy=lambda z: z,
               numpy_derivative=lambda z, a, h: np.ones_like(z), autodiff=lambda ops, z, h: z, names=("id",)),
    Activation("softplus", lambda z, l: sp.log(1 + sp.exp(z)), lambda z, a, l: 1 / (1 + sp.exp(-z)),
               stable=lambda z, l: Softplus(z),
               numpy=lambda z: np.logaddexp(0.0, z), numpy_derivative=lambda z, a, h: _np_sigmoid(z),
               autodiff=lambda ops, z, h: ops.softplus(z)),
    Activation("softmax", _softmax, _softmax_jacobian, stable=lambda column, i: sp.exp(column[i] - LogSumExp(*column)),
               numpy=_np_softmax, numpy_backward=lambda a, g: a * (g - np.sum(g * a, axis=0)),   # a ⊙ (g − aᵀg)
               autodiff=lambda ops, z, h: ops.exp(z - ops.column_lse(z)),
               in_unit_interval=True, output_only=True, elementwise=False),
    Activation("generic", lambda z, l: generic_function(l)(z),
               lambda z, a, l: sp.Derivative(generic_function(l)(z), z)),
    leaky_relu(),
    elu(),
    Activation("gelu", lambda z, l: z / 2 * (1 + sp.erf(z / sp.sqrt(2))),
               stable=lambda z, l: z / 2 * (1 + Erf(z / sp.sqrt(2))),
               numpy=lambda z: z / 2 * _np_erfc(-z / math.sqrt(2)),
               numpy_derivative=lambda z, a, h: _np_erfc(-z / math.sqrt(2)) / 2
               + z * np.exp(-z * z / 2) / math.sqrt(2 * math.pi),
               autodiff=lambda ops, z, h: z / 2 * (1 + ops.erf(z / math.sqrt(2)))),
    Activation("silu", lambda z, l: z / (1 + sp.exp(-z)), stable=lambda z, l: z * Expit(z),
               numpy=lambda z: z * _np_sigmoid(z),
               numpy_derivative=lambda z, a, h: _np_sigmoid(z) * (1 + z * (1 - _np_sigmoid(z))),
               autodiff=lambda ops, z, h: z * ops.exp(-ops.softplus(-z)), names=("swish",)),
    Activation("softsign", lambda z, l: z / (1 + sp.Abs(z)), lambda z, a, l: 1 / (1 + sp.Abs(z)) ** 2,
               numpy=lambda z: z / (1 + np.abs(z)), numpy_derivative=lambda z, a, h: 1 / (1 + np.abs(z)) ** 2,
               autodiff=lambda ops, z, h: z / (1 + ops.where(z > 0, z, -z)), analytic=False),
):
    register(_entry)

_CALL = re.compile(r"(?P<name>[a-z_]+)\((?P<args>[^()]*)\)\Z")


def activation(spec: str | Activation) -> Activation:
    """An entry from a name ("relu"), a parametrised name ("leaky_relu(0.2)", "elu(alpha=0.5)"),
    a formula in z ("z*sigmoid(z)") or an Activation itself."""
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str):
        raise SpecError(f"an activation is a name such as 'sigmoid', a formula in z, or an Activation; got {spec!r}")
    text = spec.strip()
    if text in ACTIVATIONS:
        return ACTIVATIONS[text]
    call = _CALL.match(text.replace(" ", ""))
    if call and call["name"] in PARAMETRISED:
        return _parametrised(call["name"], call["args"])
    return Activation.from_formula(text, text)


def _parametrised(name: str, args: str) -> Activation:
    factory = PARAMETRISED[name]
    keys = list(factory.__code__.co_varnames[: factory.__code__.co_argcount])
    values: dict[str, str] = {}
    for k, part in enumerate(a for a in args.split(",") if a):
        key, _, value = part.rpartition("=")
        key = key or (keys[k] if k < len(keys) else "")
        if key not in keys:
            raise SpecError(f"{name} takes {', '.join(keys)}; got {part!r}")
        values[key] = value
    return factory(**values)


def listed(entries: dict, factories: dict) -> str:
    """Registered names for messages and help, a parametrised one with its parameters: leaky_relu(slope)."""
    def shown(name: str) -> str:
        code = factories[name].__code__ if name in factories else None
        return f"{name}({', '.join(code.co_varnames[:code.co_argcount])})" if code else name
    return ", ".join(shown(name) for name in entries)


def allowed() -> str:
    """The names an activation may take, for messages."""
    return listed(ACTIVATIONS, PARAMETRISED) + ", or a formula in z such as 'z*sigmoid(z)'"
