"""Back-propagation written by hand in NumPy, the way a textbook's code listing writes it.

An independent reference for the generated code: it shares nothing with the SymPy side but
the Network spec (no tables, no stable forms, no code generation), so a slip in either shows
up as a disagreement. Its own stable formulas use NumPy's logaddexp.
"""
from __future__ import annotations

import numpy as np

from ..model.spec import Network


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


def _softmax(z):
    shifted = z - z.max(axis=0)
    e = np.exp(shifted)
    return e / e.sum(axis=0)


def _log_softmax(z):
    shifted = z - z.max(axis=0)
    return shifted - np.log(np.exp(shifted).sum(axis=0))


def _g(name: str, z):
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "identity":
        return z
    if name == "softplus":
        return np.logaddexp(0.0, z)
    if name == "softmax":
        return _softmax(z)
    raise ValueError(f"no hand-written activation {name!r}")


def _g_prime(name: str, z, a, relu_at_zero: float):
    """g'(z) for an entrywise activation."""
    if name == "sigmoid":
        return a * (1 - a)
    if name == "tanh":
        return 1 - a * a
    if name == "relu":
        return np.where(z > 0, 1.0, np.where(z < 0, 0.0, relu_at_zero))
    if name == "identity":
        return np.ones_like(z)
    if name == "softplus":
        return _sigmoid(z)
    raise ValueError(f"no hand-written derivative of {name!r}")


def forward(net: Network, params: dict, X: np.ndarray) -> tuple[list, list]:
    """Z^1..Z^L and A^0..A^L."""
    Zs, As = [None], [X]
    for l in range(1, net.depth + 1):
        Z = params[f"W{l}"] @ As[-1] + params[f"b{l}"][:, None]
        Zs.append(Z)
        As.append(_g(net.activation(l), Z))
    return Zs, As


def _lambda(net: Network, weight_decay) -> float:
    return float(net.weight_decay if weight_decay is None else weight_decay)


def loss(net: Network, params: dict, X: np.ndarray, Y: np.ndarray, *, weight_decay=None) -> float:
    """E = mean over samples of the loss + (λ/2) Σ ||W||² (λ given when the network's is a symbol)."""
    Zs, As = forward(net, params, X)
    Z, A, m, out = Zs[-1], As[-1], X.shape[1], net.activation(net.depth)
    if net.loss == "mse":
        total = 0.5 * np.sum((A - Y) ** 2)
    elif net.loss == "bce" and out == "sigmoid":
        total = np.sum(Y * np.logaddexp(0.0, -Z) + (1 - Y) * np.logaddexp(0.0, Z))
    elif net.loss == "bce":
        total = -np.sum(Y * np.log(A) + (1 - Y) * np.log1p(-A))
    else:                                   # cce after softmax
        total = -np.sum(Y * _log_softmax(Z))
    return float(total / m + 0.5 * _lambda(net, weight_decay) * sum(np.sum(params[f"W{l}"] ** 2)
                                                                 for l in range(1, net.depth + 1)))


def _output_delta(net: Network, Z, A, Y, m: int):
    """δ^L = ∂E/∂Z^L."""
    out = net.activation(net.depth)
    if net.loss == "bce" and out == "sigmoid":
        return (A - Y) / m
    if net.loss == "cce":                   # softmax: the general form, right for any Y
        return (A * Y.sum(axis=0) - Y) / m
    dE_dA = (A - Y) / m if net.loss == "mse" else (A - Y) / (m * A * (1 - A))
    if out == "softmax":                    # Jacobian-vector product: a ⊙ (g − aᵀg)
        return A * (dE_dA - np.sum(dE_dA * A, axis=0))
    return dE_dA * _g_prime(out, Z, A, net.relu_at_zero)


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
            delta = (params[f"W{l}"].T @ delta) * _g_prime(net.activation(l - 1), Zs[l - 1], As[l - 1],
                                                           net.relu_at_zero)
    return {name: grads[name] for name in sorted(grads, key=lambda k: (int(k[1:]), k[0] == "b"))}
