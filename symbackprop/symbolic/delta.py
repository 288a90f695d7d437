"""The closed-form back-propagation (δ) equations, matrix form, as data.

    δ^L = ∂E/∂A^L ⊙ g^L'(Z^L)            (softmax: the full Jacobian; collapses where the loss has one)
    δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ g^l'(Z^l)
    ∂E/∂W^l = δ^l (A^{l-1})ᵀ + λ W^l,     ∂E/∂b^l = δ^l 1

δ^l_ic is kept as the symbol ``delta<l>_<i>_<c>``; ``resolve`` substitutes the recurrence.
The four equations are fields of ``DeltaRules`` so a test can plant a wrong one and watch
verification refuse it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from .forward import ForwardPass, columns, symbol_matrix


def hadamard(P, Q):
    """P ⊙ Q: entrywise for explicit matrices, a HadamardProduct for matrix symbols (the matrix route)."""
    if isinstance(P, sp.MatrixExpr) or isinstance(Q, sp.MatrixExpr):
        return sp.HadamardProduct(P, Q)
    return P.multiply_elementwise(Q)


def ones(n) -> sp.Matrix:
    """The column 1 of n ones; for a symbolic n (any number of samples), OneMatrix."""
    return sp.ones(n, 1) if isinstance(n, (int, sp.Integer)) else sp.OneMatrix(n, 1)


def activation_derivative(fp: ForwardPass, l: int) -> sp.Matrix:
    """g^l'(Z^l) entrywise, from the activation entry's textbook derivative."""
    derivative = fp.net.rule(l).textbook_derivative
    Z, A = fp.Z[l], fp.A[l]
    return sp.Matrix(Z.rows, Z.cols, lambda i, c: fp.table_form(derivative(Z[i, c], A[i, c], l)))


def loss_gradient(fp: ForwardPass) -> sp.Matrix:
    """∂E/∂A^L entrywise, from the loss table."""
    A, Y, m = fp.A[fp.net.depth], fp.Y, fp.m
    rule = fp.net.loss_rule
    return sp.Matrix(A.rows, A.cols, lambda i, c: rule.output_gradient(A[i, c], Y[i, c], m))


def activation_jacobian(fp: ForwardPass, l: int, k: int, i: int, c: int) -> sp.Expr:
    """∂A^l_kc/∂Z^l_ic from the activation table (0-based k, i, c): g^l'(Z^l_ic) on the diagonal
    for elementwise activations, the softmax Jacobian a_k (I_ki − a_i) otherwise."""
    rule = fp.net.rule(l)
    if rule.elementwise:
        z, a = fp.Z[l][i, c], fp.A[l][i, c]
        return fp.table_form(rule.textbook_derivative(z, a, l)) if k == i else sp.Integer(0)
    return fp.table_form(rule.textbook_derivative(list(fp.A[l][:, c]), k, i))


def output_delta_chain(fp: ForwardPass) -> sp.Matrix:
    """δ^L = ∂E/∂A^L ⊙ g^L'(Z^L); for softmax δ^L_ic = Σ_k ∂E/∂A^L_kc ∂A^L_kc/∂Z^L_ic."""
    L = fp.net.depth
    dE_dA = loss_gradient(fp)
    if fp.net.rule(L).elementwise:
        return hadamard(dE_dA, activation_derivative(fp, L))
    return sp.Matrix(dE_dA.rows, dE_dA.cols, lambda i, c: sp.Add(
        *[dE_dA[k, c] * activation_jacobian(fp, L, k, i, c) for k in range(dE_dA.rows)]))


def output_delta_collapsed(fp: ForwardPass) -> sp.Matrix | None:
    """The short textbook δ^L where the loss and output activation have one (else None)."""
    L = fp.net.depth
    collapse = fp.net.loss_rule.collapses.get(fp.net.activation(L))
    if collapse is None:
        return None
    a, y = columns(fp.A[L]), columns(fp.Y)
    return sp.Matrix(fp.A[L].rows, fp.net.batch, lambda i, c: collapse(a[c], y[c], i, fp.m))


def output_delta(fp: ForwardPass) -> sp.Matrix:
    collapsed = output_delta_collapsed(fp)
    return output_delta_chain(fp) if collapsed is None else collapsed


@dataclass(frozen=True)
class DeltaRules:
    """The four back-propagation equations; each field is one equation."""

    output: Callable[[ForwardPass], sp.Matrix]
    hidden: Callable[[sp.Matrix, sp.Matrix, sp.Matrix], sp.Matrix]                   # (W^{l+1}, δ^{l+1}, g^l') -> δ^l
    weight_gradient: Callable[[sp.Matrix, sp.Matrix, sp.Matrix, sp.Expr], sp.Matrix]  # (δ^l, A^{l-1}, W^l, λ)
    bias_gradient: Callable[[sp.Matrix, sp.Matrix, sp.Expr], sp.Matrix]               # (δ^l, b^l, λ)


BACKPROP = DeltaRules(
    output=output_delta,
    hidden=lambda W, delta, gprime: hadamard(W.T * delta, gprime),
    weight_gradient=lambda delta, A_prev, W, lam: delta * A_prev.T + lam * W,
    bias_gradient=lambda delta, b, lam: delta * ones(delta.cols),
)


class ClosedForm:
    """The δ equations of one network, with δ^l kept as symbols until resolved."""

    def __init__(self, forward: ForwardPass, rules: DeltaRules = BACKPROP):
        self.forward = forward
        self.rules = rules
        self._resolved: dict[sp.Symbol, sp.Expr] = {}

    @cached_property
    def delta(self) -> dict[int, sp.Matrix]:
        """The symbols δ^l_ic."""
        fp = self.forward
        return {l: symbol_matrix(f"delta{l}", fp.net.sizes[l], fp.net.batch) for l in fp.layers}

    @cached_property
    def delta_equations(self) -> dict[int, sp.Matrix]:
        """δ^L in the output quantities; δ^l in δ^{l+1}, W^{l+1} and g^l'(Z^l)."""
        fp, L = self.forward, self.forward.net.depth
        out = {L: self.rules.output(fp)}
        for l in range(L - 1, 0, -1):
            out[l] = self.rules.hidden(fp.W[l + 1], self.delta[l + 1], activation_derivative(fp, l))
        return {l: eq.applyfunc(fp.table_form) for l, eq in out.items()}

    @cached_property
    def gradient_equations(self) -> dict[sp.Symbol, sp.Expr]:
        """∂E/∂W^l_ij and ∂E/∂b^l_i in terms of δ^l."""
        fp, lam = self.forward, self.forward.weight_decay
        out: dict[sp.Symbol, sp.Expr] = {}
        for l in fp.layers:
            dW = self.rules.weight_gradient(self.delta[l], fp.A[l - 1], fp.W[l], lam)
            db = self.rules.bias_gradient(self.delta[l], fp.b[l], lam)
            out.update(zip(fp.W[l], dW, strict=True))
            out.update(zip(fp.b[l], db, strict=True))
        return out

    @cached_property
    def _equation_of(self) -> dict[sp.Symbol, sp.Expr]:
        return {s: e for l in self.delta for s, e in zip(self.delta[l], self.delta_equations[l], strict=True)}

    def resolve(self, expr: sp.Expr) -> sp.Expr:
        """Substitute every δ symbol by its equation, recursively."""
        deltas = [s for s in expr.free_symbols if s in self._equation_of]
        return expr.xreplace({s: self._resolved_delta(s) for s in deltas})

    def _resolved_delta(self, s: sp.Symbol) -> sp.Expr:
        if s not in self._resolved:
            self._resolved[s] = self.resolve(self._equation_of[s])
        return self._resolved[s]

    def gradient(self, parameter: sp.Symbol) -> sp.Expr:
        """∂E/∂parameter from the δ equations, δ substituted."""
        return self.resolve(self.gradient_equations[parameter])
