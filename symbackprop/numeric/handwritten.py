"""Back-propagation written by hand in NumPy, the way a textbook's code listing writes it.

An independent reference for the generated code: it shares nothing with the SymPy side but the
Network spec and each rule entry's own hand-written NumPy formulas (``Activation.numpy``,
``Loss.numpy``: no SymPy, no stable forms of ours, no code generation), so a slip in either
shows up as a disagreement. A rule without hand-written formulas is refused (``Refused``, with
the reason), never replaced by another formula.
"""
from __future__ import annotations

import numpy as np

from ..model.spec import Network


class Refused(Exception):
    """A reference that does not know a rule: it says which, and computes nothing."""


def _need(rule, field: str, what: str):
    value = getattr(rule, field)
    if value is None:
        raise Refused(f"no hand-written {what} for {rule.name!r} (its entry has no {field})")
    return value


def forward(net: Network, params: dict, X: np.ndarray) -> tuple[list, list]:
    """Z^1..Z^L and A^0..A^L."""
    Zs, As = [None], [X]
    for l in range(1, net.depth + 1):
        Z = params[f"W{l}"] @ As[-1] + params[f"b{l}"][:, None]
        Zs.append(Z)
        As.append(_need(net.rule(l), "numpy", "activation")(Z))
    return Zs, As


def _lambda(net: Network, weight_decay) -> float:
    return float(net.weight_decay if weight_decay is None else weight_decay)


def loss(net: Network, params: dict, X: np.ndarray, Y: np.ndarray, *, weight_decay=None) -> float:
    """E = mean over samples of the loss + (λ/2) Σ ||W||² (λ given when the network's is a symbol)."""
    Zs, As = forward(net, params, X)
    rule = net.loss_rule
    terms = rule.numpy_after.get(net.activation(net.depth)) or _need(rule, "numpy", "loss")
    total = np.sum(terms(Zs[-1], As[-1], Y))
    return float(total / X.shape[1] + 0.5 * _lambda(net, weight_decay) * sum(np.sum(params[f"W{l}"] ** 2)
                                                                           for l in range(1, net.depth + 1)))


def _g_prime(net: Network, l: int, z, a):
    """g'(z) for an entrywise activation, with the network's H(0) at a kink."""
    return _need(net.rule(l), "numpy_derivative", "derivative")(z, a, float(net.relu_at_zero))


def _output_delta(net: Network, Z, A, Y, m: int):
    """δ^L = ∂E/∂Z^L: the loss's short form where it has one for this output, else ∂E/∂A through g'."""
    out, rule = net.rule(net.depth), net.loss_rule
    collapsed = rule.numpy_collapses.get(out.name)
    if collapsed is not None:
        return collapsed(A, Y) / m
    dE_dA = _need(rule, "numpy_gradient", "loss gradient")(A, Y) / m
    if not out.elementwise:                 # a column rule: its Jacobian-vector product
        return _need(out, "numpy_backward", "Jacobian product")(A, dE_dA)
    return dE_dA * _g_prime(net, net.depth, Z, A)


def gradient(net: Network, params: dict, X: np.ndarray, Y: np.ndarray, *, weight_decay=None) -> dict[str, np.ndarray]:
    """∂E/∂W^l, ∂E/∂b^l by the textbook loop, last layer first."""
    Zs, As = forward(net, params, X)
    lam, m = _lambda(net, weight_decay), X.shape[1]
    delta = _output_delta(net, Zs[-1], As[-1], Y, m)
    grads = {}
    for l in range(net.depth, 0, -1):
        grads[f"W{l}"] = delta @ As[l - 1].T + lam * params[f"W{l}"]
        grads[f"b{l}"] = delta.sum(axis=1)
        if l > 1:
            delta = (params[f"W{l}"].T @ delta) * _g_prime(net, l - 1, Zs[l - 1], As[l - 1])
    return {name: grads[name] for name in sorted(grads, key=lambda k: (int(k[1:]), k[0] == "b"))}
