"""The numeric inputs of a network: parameter arrays, data, their checks and random ones.

``params`` is a dict of float64 arrays ``W1, b1, …`` (W^l has shape (n_l, n_{l-1}), b^l shape
(n_l,)); ``X`` is (n_0, m) and ``Y`` (n_L, m): samples are columns, as in the maths. Every check
fails with one line naming the array, what it is and what is allowed.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..model.errors import SpecError
from ..model.losses import Targets
from ..model.spec import Network


def parameter_shapes(net: Network) -> dict[str, tuple[int, ...]]:
    """{"W1": (n_1, n_0), "b1": (n_1,), …} in layer order."""
    n = net.sizes
    out: dict[str, tuple[int, ...]] = {}
    for l in range(1, net.depth + 1):
        out[f"W{l}"] = (n[l], n[l - 1])
        out[f"b{l}"] = (n[l],)
    return out


def entry_name(array: str, index: tuple[int | np.integer, ...]) -> str:
    """The 1-based name of one entry, as ``Derivation.parameters`` writes it: W2[1,3], b1[2]."""
    return f"{array}[{','.join(str(k + 1) for k in index)}]"


def _as_float_array(name: str, value) -> np.ndarray:
    if np.ma.isMaskedArray(value) and np.ma.getmaskarray(value).any():     # asarray would drop the mask silently
        raise SpecError(f"{name} is a masked array with {int(np.ma.getmaskarray(value).sum())} masked entries: "
                        "fill them (.filled()) or pass a plain array")
    try:
        array = np.asarray(value)
    except Exception as error:                          # ragged lists and the like
        raise SpecError(f"{name} is not an array of numbers: {error}") from None
    if array.dtype.kind not in "biuf":
        raise SpecError(f"{name} must hold real numbers; it has dtype {array.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):          # a long double past float64: inf, refused below
        array = array.astype(np.float64, copy=False)
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(k) for k in np.argwhere(bad)[0])
        raise SpecError(f"{name} contains {array[where]} at index {list(where)}; only finite numbers are allowed")
    return array


def check_weight_decay_value(net: Network, value) -> float:
    """A value for a symbolic λ: a finite number ≥ 0 (a numeric λ is the network's own)."""
    if not isinstance(net.weight_decay, str):
        raise SpecError(f"this network's weight decay is {net.weight_decay}; weight_decay= is for a symbolic λ only")
    try:
        lam = float(value) if isinstance(value, numbers.Real) else float("nan")     # not "0.1": a string is no number
    except (TypeError, ValueError, OverflowError):
        lam = float("nan")
    if isinstance(value, bool) or not np.isfinite(lam) or lam < 0:
        raise SpecError(f"weight_decay (the value of {net.weight_decay}) must be a finite number >= 0; got {value!r}")
    return lam


def check_params(net: Network, params, *, label: str = "params") -> dict[str, np.ndarray]:
    """The parameters as float64 arrays in layer order, or one line saying what is wrong."""
    try:
        return _check_params(net, params, label)
    except SpecError as error:
        if label == "params":
            raise
        raise SpecError(f"{label}: {error}") from None


def _check_params(net: Network, params, label: str) -> dict[str, np.ndarray]:
    if not hasattr(params, "keys"):
        raise SpecError(f"{label} must be a dict of arrays keyed {', '.join(parameter_shapes(net))}; "
                        f"got {type(params).__name__}")
    shapes = parameter_shapes(net)
    missing = [k for k in shapes if k not in params]
    extra = sorted(str(k) for k in params if k not in shapes)
    if missing or extra:
        said = "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                           f"unexpected {', '.join(extra)}" if extra else "") if part)
        raise SpecError(f"{label} for sizes {net.sizes} are {', '.join(shapes)}: {said}")
    out = {}
    for name, shape in shapes.items():
        array = _as_float_array(name, params[name])
        if array.shape != shape:
            l = int(name[1:])
            expected = (f"({shape[0]}, {shape[1]}) = (n_{l}, n_{l - 1})" if len(shape) == 2
                        else f"({shape[0]},) = (n_{l},)")
            raise SpecError(f"{name} has shape {array.shape}; expected {expected} for sizes {net.sizes}")
        out[name] = array
    return out


def check_inputs(net: Network, X) -> np.ndarray:
    """X as a float64 (n_0, m) array."""
    X = _as_float_array("X", X)
    if X.ndim != 2 or X.shape[0] != net.sizes[0] or X.shape[1] < 1:
        raise SpecError(f"X has shape {X.shape}; expected ({net.sizes[0]}, m) = (n_0, m): samples are columns")
    return X


def check_targets(net: Network, Y, m: int) -> np.ndarray:
    """Y as a float64 (n_L, m) array inside the loss's domain."""
    Y = _as_float_array("Y", Y)
    n_L = net.sizes[-1]
    if Y.shape != (n_L, m):
        raise SpecError(f"Y has shape {Y.shape}; expected ({n_L}, {m}) = (n_L, m) to match X: samples are columns")
    low, high = net.loss_rule.targets.low, net.loss_rule.targets.high
    if low is not None and high is not None:
        outside = (Y < low) | (Y > high)
        if outside.any():
            where = tuple(int(k) for k in np.argwhere(outside)[0])
            raise SpecError(f"Y has {Y[where]} at index {list(where)}; {net.loss} needs targets in [{low:g}, {high:g}]")
    return Y


def check_data(net: Network, X, Y) -> tuple[np.ndarray, np.ndarray]:
    X = check_inputs(net, X)
    return X, check_targets(net, Y, X.shape[1])


def random_params(net: Network, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Glorot-scaled normal weights and small biases: values where every activation is exercised."""
    out = {}
    for name, shape in parameter_shapes(net).items():
        scale = np.sqrt(2.0 / sum(shape)) if len(shape) == 2 else 0.1
        out[name] = rng.normal(0.0, scale, size=shape)
    return out


def random_data(net: Network, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Standard normal X; Y drawn as the loss entry says (one-hot for cce, in (0, 1) for bce, normal), and in
    (0, 1) wherever the output can only reach that (a sigmoid's, under mse): a target it could never reach
    would puzzle a reader of the worked numbers."""
    X = rng.normal(size=(net.sizes[0], m))
    targets = net.loss_rule.targets
    if targets.low is None and not targets.one_hot and net.rule(net.depth).in_unit_interval:
        targets = Targets(0.0, 1.0)
    return X, targets.draw(rng, net.sizes[-1], m)
