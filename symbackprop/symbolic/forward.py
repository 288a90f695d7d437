"""The symbolic forward pass: Z^l = W^l A^{l-1} + b^l 1ᵀ, A^l = g^l(Z^l), and the error E.

Every intermediate quantity Z^l_ic and A^l_ic is a named SymPy symbol with a definition, so the
graph can be differentiated one edge at a time, shown, and substituted only when asked.
Symbol names are stable ASCII and 1-based like the maths: ``W2_1_3`` is W^2_{13},
``Z1_2_1`` is Z^1_{21} (unit 2, sample 1), ``X_1_2`` is A^0_{12}.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import sympy as sp

from ..model.activations import RELU_AT_ZERO, step_convention
from ..model.spec import Network
from .identity import canonical_derivatives


def symbol_matrix(prefix: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"{prefix}_{r + 1}_{c + 1}", real=True))


def columns(M: sp.Matrix) -> list[list[sp.Expr]]:
    return [list(M[:, c]) for c in range(M.cols)]


def _exact_number(x: int | float | Fraction) -> sp.Rational:
    """Exactly the number given: 0.1 is 1/10 as written, not the nearest binary fraction."""
    if isinstance(x, numbers.Rational):
        return sp.Rational(int(x.numerator), int(x.denominator))
    return sp.Rational(repr(float(x)))


# The number of samples as a symbol: one sample's share of E divides by it (ForwardPass.per_sample).
m = sp.Symbol("m", integer=True, positive=True)


@dataclass(frozen=True, eq=False)
class ForwardPass:
    """Symbols and definitions of one network's forward pass and error.

    ``per_sample=True`` (with ``net.batch == 1``) builds one sample's share of E for a batch of
    ``m`` samples, m a symbol: E_c = loss(a_c, y_c)/m + (λ/m)/2 Σ||W||². E is the sum of E_c over
    the samples, so the NumPy code sums one column's formulas over any number of columns.
    """

    net: Network
    per_sample: bool = False

    def __post_init__(self) -> None:
        if self.per_sample and self.net.batch != 1:
            raise ValueError("a per-sample forward pass has one column: net.batch must be 1")

    @cached_property
    def m(self) -> sp.Expr:
        """The divisor of the mean over samples: the batch size, or the symbol m per sample."""
        return m if self.per_sample else sp.Integer(self.net.batch)

    @cached_property
    def weight_decay(self) -> sp.Expr:
        """λ as the error carries it: λ/m in one sample's share of E."""
        lam = self.net.weight_decay
        lam = sp.Symbol(lam, nonnegative=True) if isinstance(lam, str) else _exact_number(lam)
        return lam / m if self.per_sample else lam

    @cached_property
    def X(self) -> sp.Matrix:
        return symbol_matrix("X", self.net.sizes[0], self.net.batch)

    @cached_property
    def Y(self) -> sp.Matrix:
        return symbol_matrix("Y", self.net.sizes[-1], self.net.batch)

    @cached_property
    def W(self) -> dict[int, sp.Matrix]:
        n = self.net.sizes
        return {l: symbol_matrix(f"W{l}", n[l], n[l - 1]) for l in self.layers}

    @cached_property
    def b(self) -> dict[int, sp.Matrix]:
        return {l: sp.Matrix([sp.Symbol(f"b{l}_{i + 1}", real=True) for i in range(self.net.sizes[l])])
                for l in self.layers}

    @cached_property
    def Z(self) -> dict[int, sp.Matrix]:
        return {l: symbol_matrix(f"Z{l}", self.net.sizes[l], self.net.batch) for l in self.layers}

    @cached_property
    def A(self) -> dict[int, sp.Matrix]:
        A = {l: symbol_matrix(f"A{l}", self.net.sizes[l], self.net.batch) for l in self.layers}
        A[0] = self.X
        return A

    @property
    def layers(self) -> range:
        return range(1, self.net.depth + 1)

    def Z_definition(self, l: int) -> sp.Matrix:
        """W^l A^{l-1} + b^l 1ᵀ."""
        ones = sp.ones(1, self.net.batch)
        return self.W[l] * self.A[l - 1] + self.b[l] * ones

    def A_definition(self, l: int) -> sp.Matrix:
        """g^l(Z^l), elementwise, or column by column for softmax."""
        rule = self.net.rule(l)
        Z = self.Z[l]
        if rule.elementwise:
            return Z.applyfunc(lambda z: rule.formula(z, l))
        cols = columns(Z)
        return sp.Matrix(Z.rows, Z.cols, lambda i, c: rule.formula(cols[c], i))

    @cached_property
    def loss_term(self) -> sp.Expr:
        """loss(A^L, Y), in the output symbols A^L and targets Y."""
        L = self.net.depth
        return self.net.loss_rule.error(columns(self.A[L]), columns(self.Y), self.m)

    @cached_property
    def decay_term(self) -> sp.Expr:
        """(λ/2) Σ_l ||W^l||_F^2; biases are not decayed."""
        squares = sp.Add(*[w**2 for l in self.layers for w in self.W[l]])
        return self.weight_decay / 2 * squares

    @cached_property
    def E(self) -> sp.Expr:
        return self.loss_term + self.decay_term

    @cached_property
    def definitions(self) -> dict[sp.Symbol, sp.Expr]:
        """Every intermediate symbol with its definition, in forward (topological) order."""
        out: dict[sp.Symbol, sp.Expr] = {}
        for l in self.layers:
            out.update(self._Z_of(l))
            out.update(self._A_of(l))
        return out

    @cached_property
    def parameters(self) -> dict[str, sp.Symbol]:
        """Public names ("W1[2,1]", "b2[1]") to symbols, weights then bias layer by layer."""
        out: dict[str, sp.Symbol] = {}
        for l in self.layers:
            W = self.W[l]
            out.update({f"W{l}[{i + 1},{j + 1}]": W[i, j] for i in range(W.rows) for j in range(W.cols)})
            out.update({f"b{l}[{i + 1}]": self.b[l][i] for i in range(W.rows)})
        return out

    @cached_property
    def parameter_rows(self) -> dict[str, tuple[int, int]]:
        """Public name -> (layer l, unit i) of the row of W^l or b^l it lives in, 1-based."""
        return {name: (l, i + 1) for l in self.layers for i in range(self.net.sizes[l])
                for name in [f"b{l}[{i + 1}]"] + [f"W{l}[{i + 1},{j + 1}]" for j in range(self.net.sizes[l - 1])]}

    @cached_property
    def activation_values(self) -> dict[sp.Symbol, sp.Expr]:
        """A^l_ic -> g^l(Z^l_ic): the substitution that leaves Z as the only intermediate."""
        return {a: d for l in self.layers for a, d in self._A_of(l).items()}

    def in_terms_of_Z(self, expr: sp.Expr) -> sp.Expr:
        """Replace every activation symbol by g^l(Z^l)."""
        return expr.xreplace(self.activation_values)

    def in_terms_of_layer(self, expr: sp.Expr, node: sp.Symbol) -> sp.Expr:
        """Substitute the layers after node's (and A^l itself when node is Z^l): expr then
        depends on the network only through node's layer and those before it."""
        l = next(l for l in self.layers if node in self.Z[l] or node in self.A[l])
        expr = self._substitute_layers(expr, above=l)
        return self._substitute(expr, self._A_of(l)) if node in self.Z[l] else expr

    def previous_activation(self, parameter: sp.Symbol) -> sp.Symbol | None:
        """An entry of A^{l-1} for a parameter of layer l (None for l = 1: A^0 is the data X)."""
        l = next(l for l in self.layers if parameter in self.W[l] or parameter in self.b[l])
        return self.A[l - 1][0, 0] if l > 1 else None

    def down_to(self, expr: sp.Expr, node: sp.Symbol | None) -> sp.Expr:
        """in_terms_of_layer, or all the way to W, b, X, Y when node is None (the data)."""
        return self.in_terms_of_parameters(expr) if node is None else self.in_terms_of_layer(expr, node)

    @staticmethod
    def _substitute(expr: sp.Expr, mapping: dict) -> sp.Expr:
        """xreplace, after writing any g'(Z) as the function g_prime(Z) so that substituting Z
        gives g'(W A + b) rather than a derivative with respect to an expression."""
        if expr.has(sp.Derivative, sp.Subs):
            expr = canonical_derivatives(expr)
        return expr.xreplace(mapping)

    def in_terms_of_parameters(self, expr: sp.Expr) -> sp.Expr:
        """Substitute every intermediate quantity, last layer first, down to W, b, X, Y."""
        return self._substitute_layers(expr, above=0)

    def _substitute_layers(self, expr: sp.Expr, above: int) -> sp.Expr:
        """Substitute A^k, then Z^k, for k = L down to above + 1."""
        for k in range(self.net.depth, above, -1):
            expr = self._substitute(self._substitute(expr, self._A_of(k)), self._Z_of(k))
        return expr

    def _A_of(self, l: int) -> dict[sp.Symbol, sp.Expr]:
        """Each A^l entry's definition; built once per layer (writing down to the parameters asks for it often)."""
        if ("A", l) not in self._definitions_of:
            self._definitions_of["A", l] = dict(zip(self.A[l], self.A_definition(l), strict=True))
        return self._definitions_of["A", l]

    def _Z_of(self, l: int) -> dict[sp.Symbol, sp.Expr]:
        if ("Z", l) not in self._definitions_of:
            self._definitions_of["Z", l] = dict(zip(self.Z[l], self.Z_definition(l), strict=True))
        return self._definitions_of["Z", l]

    @cached_property
    def _definitions_of(self) -> dict[tuple[str, int], dict[sp.Symbol, sp.Expr]]:
        return {}

    @cached_property
    def relu_at_zero(self) -> sp.Expr:
        return _exact_number(self.net.relu_at_zero)

    def with_conventions(self, expr: sp.Expr) -> sp.Expr:
        """SymPy's d/dz Max(0, z) is Heaviside(z) with its own value 1/2 at 0: state ours instead
        (H(−z) takes 1 − H(0)). Only the direct side calls this; the tables carry it as RELU_AT_ZERO."""
        return step_convention(expr, self.relu_at_zero)

    def table_form(self, expr: sp.Expr) -> sp.Expr:
        """A table's formula for this network: its relu'(0) placeholder becomes the stated value."""
        return expr.xreplace({RELU_AT_ZERO: self.relu_at_zero})
