"""Stable numeric forms as data: what the NumPy code computes where a textbook formula overflows.

1/(1 + e^{-z}) overflows for z < -709, log(1 + e^z) for z > 709, and log(1 − σ(z)) is log 0
once σ(z) rounds to 1. Each entry below replaces one such formula by an equal one that stays
finite (the tests prove every replacement equal to the formula it replaces):

- ``Expit``, ``Softplus`` and ``LogSumExp`` are SymPy functions that print as the NumPy
  helpers at the bottom of this module; ``rewrite(sp.exp)`` gives back the textbook formula;
- ``STABLE_VALUES`` / ``STABLE_DERIVATIVES``: activations whose table formula is not stable;
- ``STABLE_LOSS_TERMS``: loss terms written in the output's pre-activation z, keyed by
  (loss, output activation), e.g. bce after sigmoid is y·softplus(−z) + (1 − y)·softplus(z).

The helpers take real or complex arrays (complex-step differentiation calls them with z + ih).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

Column = list[sp.Expr]


class Expit(sp.Function):
    """σ(x) = 1/(1 + e^{-x}), computed without overflow."""

    def _eval_rewrite_as_exp(self, x, **hints):
        return 1 / (1 + sp.exp(-x))


class Softplus(sp.Function):
    """log(1 + e^x), computed without overflow."""

    def _eval_rewrite_as_exp(self, x, **hints):
        return sp.log(1 + sp.exp(x))


class LogSumExp(sp.Function):
    """log Σ_k e^{x_k}, computed by shifting by the largest x_k."""

    def _eval_rewrite_as_exp(self, *xs, **hints):
        return sp.log(sp.Add(*[sp.exp(x) for x in xs]))


def _softmax(column: Column, i: int) -> sp.Expr:
    return sp.exp(column[i] - LogSumExp(*column))


# Activation values g(z) where the table's formula overflows (softmax: (column, i) like the table).
STABLE_VALUES: dict[str, Callable[..., sp.Expr]] = {
    "sigmoid": lambda z, l: Expit(z),
    "softplus": lambda z, l: Softplus(z),
    "softmax": _softmax,
}

# Activation derivatives g'(z) (in z and a = g(z)) where the table's form overflows.
STABLE_DERIVATIVES: dict[str, Callable[..., sp.Expr]] = {
    "softplus": lambda z, a, l: Expit(z),
}


def _bce_sigmoid(z: Column, y: Column, i: int) -> sp.Expr:
    # −log σ(z) = softplus(−z), −log(1 − σ(z)) = softplus(z)
    return y[i] * Softplus(-z[i]) + (1 - y[i]) * Softplus(z[i])


def _cce_softmax(z: Column, y: Column, i: int) -> sp.Expr:
    # −log softmax(z)_i = LSE(z) − z_i
    return y[i] * (LogSumExp(*z) - z[i])


def _bce_softmax(z: Column, y: Column, i: int) -> sp.Expr:
    # log(1 − softmax(z)_i) = LSE(z without z_i) − LSE(z): the other units' share, never log 0
    rest = z[:i] + z[i + 1:]
    return y[i] * (LogSumExp(*z) - z[i]) + (1 - y[i]) * (LogSumExp(*z) - LogSumExp(*rest))


# One (a, y) summand of a loss, before 1/m, written in the output column z = Z^L_{·c} instead of a.
STABLE_LOSS_TERMS: dict[tuple[str, str], Callable[[Column, Column, int], sp.Expr]] = {
    ("bce", "sigmoid"): _bce_sigmoid,
    ("cce", "softmax"): _cce_softmax,
    ("bce", "softmax"): _bce_softmax,
}


# NumPy helpers the generated code calls. Real or complex input; no overflow for |Re x| up to 1e308.

def _folded(x):
    """x with its real part made ≥ 0, and where that needed a sign flip."""
    negative = np.real(x) < 0
    return np.where(negative, -x, x), negative


# e^t is finite for t up to ln(max float64) ≈ 709.78; 709 leaves a margin
_EXP_FINITE = 709.0


def expit(x, out=None):
    """σ(x) = 1/(1 + e^{-x}) where e^{-x} is finite for every entry (one reduction checks: x ≥ −709),
    else e^{min(x, 0)} / (1 + e^{-|x|}), whose exponents are never positive. Both are exact to rounding;
    the first costs one exponential and four passes instead of two and seven.

    ``out``: a real array to write σ(x) into, x itself allowed (the matrix route puts A^l in Z^l's memory).
    """
    if np.iscomplexobj(x):
        s, negative = _folded(x)
        e = np.exp(-s)
        return np.where(negative, e, 1) / (1 + e)
    x = np.asarray(x)
    if x.size and not x.min() >= -_EXP_FINITE:           # a NaN anywhere (min is NaN) takes this path too
        denominator = np.exp(-np.abs(x))
        denominator += 1
        return np.divide(np.exp(np.minimum(x, 0)), denominator, out=out)
    if x.ndim == 0 and out is None:
        return 1 / (1 + np.exp(-x))
    out = np.negative(x, out=out, dtype=np.float64)
    np.exp(out, out=out)
    out += 1
    return np.divide(1.0, out, out=out)


def softplus(x):
    """log(1 + e^x) = max(x, 0) + log(1 + e^{-|x|})."""
    s, negative = _folded(x)
    return np.where(negative, 0, x) + np.log1p(np.exp(-s))


def logsumexp(*xs):
    """log Σ_k e^{x_k} over the arguments (arrays of one shape), shifted by the largest real part."""
    shift = np.max(np.real(np.stack(np.broadcast_arrays(*xs))), axis=0)
    return shift + np.log(sum(np.exp(x - shift) for x in xs))


def column_logsumexp(Z):
    """log Σ_i e^{Z_ic} for every column c of Z: shape (m,)."""
    shift = np.max(np.real(Z), axis=0)
    return shift + np.log(np.sum(np.exp(Z - shift), axis=0))


def softmax(Z):
    """Column-wise softmax of Z, exp(Z − LSE(Z))."""
    return np.exp(Z - column_logsumexp(Z))


HELPERS = {"_expit": expit, "_softplus": softplus, "_logsumexp": logsumexp,
           "_column_logsumexp": column_logsumexp, "_softmax": softmax}
