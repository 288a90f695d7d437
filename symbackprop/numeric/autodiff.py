"""The loss written once for an array library, so that its own reverse mode gives a gradient.

HIPS autograd, JAX and PyTorch are independent references for the symbolic gradient: their
derivatives come from their own rules, not from SymPy. Each is used only when installed.
The backends are data: the few operations the loss needs, per library.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

from ..model.spec import Network


@dataclass(frozen=True)
class Ops:
    exp: Callable
    log: Callable
    tanh: Callable
    where: Callable
    softplus: Callable           # log(1 + e^z), stable
    column_lse: Callable         # log Σ_i e^{Z_ic}, per column
    total: Callable              # sum of every entry
    erf: Callable | None = None  # where the library has one


class Refused(Exception):
    """This reference does not know a rule: it says which, and computes nothing."""


def _activation(ops: Ops, net: Network, l: int, z):
    rule = net.rule(l)
    if rule.autodiff is None:
        raise Refused(f"no autodiff form of the activation {rule.name!r} (its entry has no autodiff)")
    return rule.autodiff(ops, z, float(net.relu_at_zero))


def _summands(ops: Ops, net: Network, Z, A, Y):
    rule = net.loss_rule
    terms = rule.autodiff_after.get(net.activation(net.depth)) or rule.autodiff
    if terms is None:
        raise Refused(f"no autodiff form of the loss {rule.name!r} after {net.activation(net.depth)} "
                      "(its entry has none)")
    return terms(ops, Z, A, Y)


def loss(ops: Ops, net: Network, params: dict, X, Y, weight_decay: float):
    """E written in one library's operations: forward pass, loss, weight decay."""
    A = X
    for l in range(1, net.depth + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"][:, None]
        A = _activation(ops, net, l, Z)
    decay = sum(ops.total(params[f"W{l}"] ** 2) for l in range(1, net.depth + 1))
    return ops.total(_summands(ops, net, Z, A, Y)) / X.shape[1] + 0.5 * weight_decay * decay


def check(ops: Ops, net: Network) -> None:
    """Refuse before any work a network whose rules this library cannot write (erf without one)."""
    for l in range(1, net.depth + 1):
        _activation(cast(Ops, _Probe(ops)), net, l, 0.5)


class _Probe:
    """Ops that record a missing operation instead of computing: erf where the library has none."""

    def __init__(self, ops: Ops):
        self.ops = ops

    def __getattr__(self, name: str):
        if getattr(self.ops, name) is None:
            raise Refused(f"this library has no {name} (needed by the activation)")
        return lambda *a, **k: 0.5


def _autograd(net, params, X, Y, weight_decay):
    import autograd
    import autograd.numpy as anp

    def column_lse(z):          # autograd.scipy needs scipy; the shift by the column maximum, by hand
        top = anp.max(z, axis=0)
        return top + anp.log(anp.sum(anp.exp(z - top), axis=0))

    try:                        # autograd's erf needs SciPy
        from autograd.scipy.special import erf
    except ImportError:
        erf = None
    ops = Ops(anp.exp, anp.log, anp.tanh, anp.where, lambda z: anp.logaddexp(0.0, z), column_lse, anp.sum, erf)
    check(ops, net)
    # autograd's tanh' is 1/cosh², inf in cosh giving 0, correctly; a saturated sigmoid's inf · 0 in a branch the
    # gradient does not use printed a RuntimeWarning (weights 1e160). A nan that reaches the gradient fails the
    # comparison, so nothing is hidden by keeping quiet here.
    with np.errstate(over="ignore", invalid="ignore"):
        return autograd.grad(lambda p: loss(ops, net, p, X, Y, weight_decay))(params)


def _jax(net, params, X, Y, weight_decay):
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    ops = Ops(jnp.exp, jnp.log, jnp.tanh, jnp.where, lambda z: jnp.logaddexp(0.0, z),
              lambda z: logsumexp(z, axis=0), jnp.sum, jax.scipy.special.erf)
    # float64 for this call only (jax.enable_x64 in JAX >= 0.6); the caller's JAX setting is left alone
    x64 = jax.enable_x64(True) if hasattr(jax, "enable_x64") else jax.experimental.enable_x64()
    with x64:
        grads = jax.grad(lambda p: loss(ops, net, p, jnp.asarray(X), jnp.asarray(Y), weight_decay))(
            {k: jnp.asarray(v) for k, v in params.items()})
        return {k: np.asarray(v) for k, v in grads.items()}


def _torch(net, params, X, Y, weight_decay):
    import torch

    # not torch.nn.functional.softplus: past its threshold (20) it returns z, off by e^{-20} in float64
    ops = Ops(torch.exp, torch.log, torch.tanh, torch.where, lambda z: torch.logaddexp(torch.zeros_like(z), z),
              lambda z: torch.logsumexp(z, dim=0), torch.sum, torch.erf)
    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    E = loss(ops, net, tensors, torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64),
             weight_decay)
    E.backward()
    return {k: t.grad.numpy() for k, t in tensors.items()}


# name -> (module that must be importable, gradient function)
BACKENDS: dict[str, tuple[str, Callable]] = {
    "autograd": ("autograd", _autograd),
    "jax": ("jax", _jax),
    "torch": ("torch", _torch),
}


def available() -> list[str]:
    """The autodiff libraries installed here."""
    return [name for name, (module, _) in BACKENDS.items() if importlib.util.find_spec(module) is not None]


def gradient(backend: str, net: Network, params: dict, X, Y, weight_decay: float) -> dict[str, np.ndarray]:
    """∂E/∂W^l, ∂E/∂b^l by one library's reverse mode."""
    return BACKENDS[backend][1](net, params, X, Y, weight_decay)
