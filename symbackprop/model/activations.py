"""Activation functions as data: one entry each, the formula and its textbook derivative.

``formula(z, layer)`` is what the forward pass uses, so SymPy's own ``diff`` of it is the
ground truth. ``derivative(z, a, layer)`` is the closed form a textbook writes for g'
(in terms of the pre-activation ``z`` and the activation value ``a``); the δ equations use it,
and verification proves it equal to the ground truth rather than trusting it.
Softmax acts on a whole column, so its entries take the column.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Activation:
    name: str
    formula: Callable[..., sp.Expr]      # (z, layer) -> g(z); softmax: (column, index)
    derivative: Callable[..., sp.Expr]   # (z, a, layer) -> g'(z); softmax: Jacobian entry
    in_unit_interval: bool = False       # outputs confined to (0, 1): allowed before bce
    output_only: bool = False            # softmax: a column operation, only on layer L
    elementwise: bool = True
    analytic: bool = True                # complex-step differentiation applies


def generic_function(layer: int) -> sp.Function:
    """The undefined activation g^l of layer l: proofs with it hold for every differentiable g."""
    return sp.Function(f"g{layer}", real=True)


# The table's relu'(0): a placeholder that a derivation replaces by Network.relu_at_zero.
RELU_AT_ZERO = sp.Symbol("relu_at_zero")


def _softmax(column: list[sp.Expr], i: int) -> sp.Expr:
    return sp.exp(column[i]) / sp.Add(*[sp.exp(z) for z in column])


def _softmax_jacobian(a: list[sp.Expr], i: int, k: int) -> sp.Expr:
    """∂a_i/∂z_k = a_i (I_ik − a_k)."""
    return a[i] * ((1 if i == k else 0) - a[k])


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", lambda z, l: 1 / (1 + sp.exp(-z)), lambda z, a, l: a * (1 - a),
                   in_unit_interval=True),
        Activation("tanh", lambda z, l: sp.tanh(z), lambda z, a, l: 1 - a**2),
        # relu'(0) does not exist: the convention is stated by Network.relu_at_zero.
        Activation("relu", lambda z, l: sp.Max(0, z), lambda z, a, l: sp.Heaviside(z, RELU_AT_ZERO),
                   analytic=False),
        Activation("identity", lambda z, l: z, lambda z, a, l: sp.Integer(1)),
        Activation("softplus", lambda z, l: sp.log(1 + sp.exp(z)), lambda z, a, l: 1 / (1 + sp.exp(-z))),
        Activation("softmax", _softmax, _softmax_jacobian, in_unit_interval=True,
                   output_only=True, elementwise=False),
        Activation("generic", lambda z, l: generic_function(l)(z),
                   lambda z, a, l: sp.Derivative(generic_function(l)(z), z)),
    )
}
