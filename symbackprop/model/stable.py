"""Stable numeric forms: SymPy functions the NumPy code computes without overflow, and their helpers.

1/(1 + e^{-z}) overflows for z < -709, log(1 + e^z) for z > 709, and log(1 − σ(z)) is log 0
once σ(z) rounds to 1. An activation or loss entry names its stable form with these functions
(``Activation.stable``, ``Loss.stable_after``); the tests prove every stable form equal to the
formula it replaces:

- ``Expit``, ``Softplus``, ``LogSumExp`` and ``Erf`` are SymPy functions that print as the NumPy
  helpers at the bottom of this module; ``rewrite(sp.exp)`` gives back the textbook formula, and
  each knows its derivative, so SymPy differentiates a stable form into a stable form;
- ``stabilise`` rewrites a user's formula into them where it can (1/(1 + e^{-u}), log(1 + e^u)).

The helpers take real or complex arrays (complex-step differentiation calls them with z + ih).
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp


class Expit(sp.Function):
    """σ(x) = 1/(1 + e^{-x}), computed without overflow."""

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, x, **hints):
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec):            # a number at a number: the formula's value
        return self.rewrite(sp.exp)._eval_evalf(prec)


class Softplus(sp.Function):
    """log(1 + e^x), computed without overflow."""

    def fdiff(self, argindex=1):
        return Expit(self.args[0])

    def _eval_rewrite_as_exp(self, x, **hints):
        return sp.log(1 + sp.exp(x))

    def _eval_evalf(self, prec):            # a number at a number: the formula's value
        return self.rewrite(sp.exp)._eval_evalf(prec)


class LogSumExp(sp.Function):
    """log Σ_k e^{x_k}, computed by shifting by the largest x_k."""

    def fdiff(self, argindex=1):
        return sp.exp(self.args[argindex - 1] - self)

    def _eval_rewrite_as_exp(self, *xs, **hints):
        return sp.log(sp.Add(*[sp.exp(x) for x in xs]))


class Erf(sp.Function):
    """erf(x), for NumPy code (NumPy has no erf): SymPy's erf, printed as the helper ``erf`` below."""

    def fdiff(self, argindex=1):
        return 2 * sp.exp(-self.args[0] ** 2) / sp.sqrt(sp.pi)

    def _eval_rewrite_as_exp(self, x, **hints):
        return sp.erf(x)


_W = sp.Wild("w")


def stabilise(expr: sp.Expr) -> sp.Expr:
    """A user's formula with 1/(1 + e^{w}) as σ(−w) and log(1 + e^w) as softplus(w): equal, and finite."""
    if expr.has(sp.exp):          # both patterns hold an exp; matching them node by node costs far more than looking
        expr = expr.replace(sp.log(1 + sp.exp(_W)), lambda w: Softplus(w))
        expr = expr.replace((1 + sp.exp(_W)) ** -1, lambda w: Expit(-w))
    return expr.replace(sp.erf, Erf) if expr.has(sp.erf) else expr


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


_real_erf = np.vectorize(math.erf, otypes=[float])


def erf(x):
    """erf(x) elementwise: math.erf for real input, mpmath (SymPy's own dependency) for complex."""
    if np.iscomplexobj(x):
        return np.vectorize(lambda v: complex(mpmath.erf(v)), otypes=[complex])(x)
    return _real_erf(x)


HELPERS = {"_erf": erf, "_expit": expit, "_softplus": softplus, "_logsumexp": logsumexp,
           "_column_logsumexp": column_logsumexp, "_softmax": softmax}
