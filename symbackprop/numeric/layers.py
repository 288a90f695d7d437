"""NumPy code for a layer ``Stack``, generated from the entries' rules, and its gradient check.

``LayerCode(stack, m)`` lambdifies each layer's forward rule and its textbook backward rule (the entry's
``numeric`` forms where it has them: equal, and finite where the textbook form overflows) for a batch of m
samples, with common subexpressions shared, and runs them: the forward pass node by node, then the
backward pass from the loss entry's ∂E/∂(output) down, each layer's backward rule given its cached input
and output. Nothing here is written per kind: a new entry gets its code from its rules.

``gradcheck_stack`` compares that gradient, for every parameter and the input X, with
- central differences of E (the generated forward pass), at a step h relative to each value;
- the complex step Im E(θ + ih)/h, where every layer and the loss are analytic (no kink, no |·|);
- torch and JAX reverse mode, where installed, on E written in their operations from the entries'
  ``autodiff`` forms: a library reference that finds a layer with no such form refuses, naming it, and
  computes nothing (never another formula).
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ..model.activations import RELU_AT_ZERO
from ..model.layers import CODE_BUDGET, Stack, check_work
from ..model.stable import HELPERS
from .autodiff import Ops, Refused
from .codegen import NumPyCode

MODULES = [{**HELPERS, "np": np}, "numpy"]
# Common subexpressions shared: without them batch norm at m = 32 prints each batch sum again per component
# (250 s to build instead of 20 s).
CSE = True


def _symbols(prefix: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{prefix}_{i}_{j}", real=True))


class LayerCode:
    """The generated forward and backward functions of every layer of a stack, at batch m."""

    def __init__(self, stack: Stack, m: int):
        check_work(stack, m, CODE_BUDGET, "generating code for")
        self.stack, self.m = stack, m
        self.forwards, self.backwards, self.names = [], [], []
        h = stack.relu_at_zero
        widths = stack.widths
        a, y = sp.Symbol("a", real=True), sp.Symbol("y", real=True)
        for k, layer in enumerate(stack.layers, 1):
            xs = [_symbols(f"x{j}", widths[s], m) for j, s in enumerate(stack.sources(k))]
            out = _symbols("y", layer.width, m)
            dy = _symbols("dy", layer.width, m)
            values = {name: _symbols(name, r, c) for name, (r, c) in layer.parameters}
            values.update({name: _symbols(name, r, m if c is None else c) for name, (r, c) in layer.data})
            forward, backward = layer.numeric or (layer.forward, layer.backward)
            names = list(values)
            fix = lambda M: M.xreplace({RELU_AT_ZERO: h})
            args = lambda M: M.tolist()          # a nested list of symbols unpacks a 2-D array
            self.forwards.append(sp.lambdify([[args(x) for x in xs], [args(values[n]) for n in names]],
                                             fix(forward(xs, values)),
                                             MODULES, printer=NumPyCode(), cse=CSE))
            dxs, dps = backward(xs, out, values, dy)
            params = [name for name, _ in layer.parameters]
            self.backwards.append(sp.lambdify([[args(x) for x in xs], args(out), [args(values[n]) for n in names],
                                               args(dy)],
                                              [fix(d) for d in dxs] + [fix(dps[p]) for p in params],
                                              MODULES, printer=NumPyCode(), cse=CSE))
            self.names.append((names, params))
        loss = stack.loss
        self.term = sp.lambdify([a, y], loss.term(a, y), MODULES, printer=NumPyCode())
        # The loss's stable form after the output layer's activation (cce after softmax: LSE(z) − z_i), written
        # in that layer's input column z, where the term in a would overflow; keyed by the activation entry.
        last = stack.layers[-1]
        after = loss.stable_after.get(last.activation.name) if last.activation is not None else None
        self.stable_term = None
        if after is not None:
            n = stack.widths[-1]
            zs, ys = sp.symbols(f"z0:{n}", real=True), sp.symbols(f"t0:{n}", real=True)
            self.stable_term = sp.lambdify([zs, ys], sp.Add(*[after(list(zs), list(ys), i) for i in range(n)]),
                                           MODULES, printer=NumPyCode())
        self.dterm = sp.lambdify([a, y], loss.output_gradient(a, y, 1), MODULES,
                                 printer=NumPyCode())
        # The loss's δ at the output activation's input where the entry has it in closed form (softmax then cce:
        # A·1ᵀY − Y), as the dense engine starts: the textbook −y/(m a) through softmax's rule is 0/0 once an
        # output underflows to 0. Keyed by the activation entry, like the stable term.
        self.collapse = (loss.numpy_collapses.get(last.activation.name)
                         if last.activation is not None and len(stack.sources(stack.depth)) == 1 else None)

    def _values(self, k: int, params: dict, data: dict) -> list[np.ndarray]:
        given = {**params, **data}
        return [np.asarray(given[f"{name}{k}"]) for name in self.names[k - 1][0]]

    def forward(self, params: dict, X, data: dict | None = None) -> list[np.ndarray]:
        """Every node's value, the input first."""
        data = data or {}
        nodes = [X]
        for k in range(1, self.stack.depth + 1):
            xs = [nodes[s] for s in self.stack.sources(k)]
            out = self.forwards[k - 1](xs, self._values(k, params, data))
            nodes.append(np.broadcast_to(out, (self.stack.widths[k], np.shape(X)[1])) + 0 * nodes[-1][:1])
        return nodes

    def loss(self, params: dict, X, Y, data: dict | None = None):
        nodes = self.forward(params, X, data)
        if self.stable_term is not None:
            z = nodes[self.stack.sources(self.stack.depth)[0]]
            return np.sum(self.stable_term(list(z), list(Y))) / np.shape(X)[1]
        return np.sum(self.term(nodes[-1], Y)) / np.shape(X)[1]

    def gradient(self, params: dict, X, Y, data: dict | None = None) -> dict[str, np.ndarray]:
        """∂E/∂θ for every parameter, and ∂E/∂X under the name ``X``, by the layers' backward rules."""
        data = data or {}
        nodes = self.forward(params, X, data)
        m = np.shape(X)[1]
        upstream: list[Any] = [0] * len(nodes)
        top = self.stack.depth
        if self.collapse is not None:
            upstream[self.stack.sources(top)[0]] = self.collapse(nodes[-1], Y) / m
            top -= 1
        else:
            upstream[-1] = self.dterm(nodes[-1], Y) / m + 0 * nodes[-1]
        grads = {}
        for k in range(top, 0, -1):
            sources = self.stack.sources(k)
            result = self.backwards[k - 1]([nodes[s] for s in sources], nodes[k], self._values(k, params, data),
                                           upstream[k])
            for j, s in enumerate(sources):
                upstream[s] = upstream[s] + np.broadcast_to(result[j], np.shape(nodes[s]))
            for p, value in zip(self.names[k - 1][1], result[len(sources):], strict=True):
                grads[f"{p}{k}"] = np.broadcast_to(value, np.shape(params[f"{p}{k}"])) + 0.0
        grads["X"] = np.asarray(upstream[0]) + 0.0
        return grads


def random_params(stack: Stack, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Glorot-scaled normal values for matrices, small ones for columns, about 1 for a scale such as γ."""
    out = {}
    for name, (r, c) in stack.parameter_shapes().items():
        out[name] = rng.normal(0.0, np.sqrt(2.0 / (r + c)) if c > 1 else 0.5, size=(r, c))
    return out


def random_data(stack: Stack, m: int, rng: np.random.Generator):
    X = rng.normal(size=(stack.input, m))
    Y = stack.loss.targets.draw(rng, stack.widths[-1], m)
    return X, Y


def random_given(stack: Stack, m: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The data layers take besides X and Y (dropout's mask), drawn as each layer's entry says."""
    out = {}
    for k, layer in enumerate(stack.layers, 1):
        if layer.data:
            if layer.draw is None:
                raise ValueError(f"layer {k} ({layer.label}) takes data but its entry says not how to draw it")
            out.update({f"{name}{k}": value for name, value in layer.draw(rng, m).items()})
    return out


@dataclass
class Comparison:
    reference: str
    worst: float = 0.0             # largest |difference| / (1 + |gradient|) over every entry
    at: str = ""
    tolerance: float = 0.0
    refused: str = ""              # why this reference computed nothing

    @property
    def ok(self) -> bool:
        return bool(self.refused) or self.worst <= self.tolerance


@dataclass
class LayerGradcheck:
    stack: Stack
    gradient: dict[str, np.ndarray]
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.comparisons)

    @property
    def failed(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.ok]

    def table(self) -> str:
        rows = [f"{'reference':<20} {'worst':>10}  {'tolerance':>9}  result"]
        for c in self.comparisons:
            if c.refused:
                rows.append(f"{c.reference:<20} {'-':>10}  {'-':>9}  refused: {c.refused}")
            else:
                rows.append(f"{c.reference:<20} {c.worst:>10.2e}  {c.tolerance:>9.0e}  "
                            f"{'pass' if c.ok else 'FAIL at ' + c.at}")
        return "\n".join(rows)

    def to_dict(self) -> dict[str, Any]:
        return {"network": self.stack.describe(), "ok": self.ok,
                "comparisons": [{"reference": c.reference, "worst": c.worst, "at": c.at, "tolerance": c.tolerance,
                                 "refused": c.refused, "ok": c.ok} for c in self.comparisons]}


def _compare(name: str, ours: dict, theirs: dict, tolerance: float) -> Comparison:
    result = Comparison(name, tolerance=tolerance)
    for key, value in ours.items():
        error = np.abs(np.asarray(theirs[key]) - value) / (1 + np.abs(value))
        if error.size and error.max() > result.worst:
            result.worst = float(error.max())
            index = np.unravel_index(int(error.argmax()), error.shape)
            result.at = f"{key}[{','.join(str(i + 1) for i in index)}]"
    return result


def _perturbed(values: dict, X, key: str, index, delta):
    """(params, X) with one entry moved by delta (complex allowed)."""
    params = dict(values)
    if key == "X":
        X = X.astype(np.result_type(X, delta), copy=True)
        X[index] += delta
    else:
        params[key] = params[key].astype(np.result_type(params[key], delta), copy=True)
        params[key][index] += delta
    return params, X


def _by_entries(code: LayerCode, params: dict, X, Y, data: dict, step) -> dict[str, np.ndarray]:
    """``step(E as a function of one entry's change, that entry's value)`` for every entry of θ and X."""
    out = {}
    for key, array in [*params.items(), ("X", X)]:
        grid = np.zeros(np.shape(array))
        for index in np.ndindex(*grid.shape):
            def moved(delta, key=key, index=index):
                moved_params, moved_X = _perturbed(params, X, key, index, delta)
                return code.loss(moved_params, moved_X, Y, data)
            grid[index] = step(moved, array[index])
        out[key] = grid
    return out


def _central(f, value):
    h = 1e-6 * max(1.0, abs(value))
    return (f(h) - f(-h)) / (2 * h)


def _complex(f, value):
    return np.imag(f(1e-30j)) / 1e-30


def _ops(library: str):
    if library == "torch":
        import torch
        return _LayerOps(torch.exp, torch.log, torch.tanh, torch.where,
                         lambda z: torch.logaddexp(torch.zeros_like(z), z), lambda z: torch.logsumexp(z, dim=0),
                         torch.sum, torch.erf, sqrt=torch.sqrt, row_sum=lambda z: z.sum(dim=1, keepdim=True),
                         column_sum=lambda z: z.sum(dim=0, keepdim=True), rows=lambda parts: torch.cat(parts, dim=0))
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp
    return _LayerOps(jnp.exp, jnp.log, jnp.tanh, jnp.where, lambda z: jnp.logaddexp(0.0, z),
                     lambda z: logsumexp(z, axis=0), jnp.sum, jax.scipy.special.erf, sqrt=jnp.sqrt,
                     row_sum=lambda z: z.sum(axis=1, keepdims=True), column_sum=lambda z: z.sum(axis=0, keepdims=True),
                     rows=lambda parts: jnp.concatenate(parts, axis=0))


@dataclass(frozen=True)
class _LayerOps(Ops):
    sqrt: Any = None
    row_sum: Any = None
    column_sum: Any = None
    rows: Any = None               # a list of arrays stacked by rows (a layer whose output is built in blocks)


def _library_loss(ops, stack: Stack, params: dict, X, Y, data: dict):
    nodes = [X]
    for k, layer in enumerate(stack.layers, 1):
        if layer.autodiff is None:
            raise Refused(f"layer {k} ({layer.label}) has no autodiff form (its entry has none)")
        values = {**{name: params[f"{name}{k}"] for name, _ in layer.parameters},
                  **{name: data[f"{name}{k}"] for name, _ in layer.data}, "relu_at_zero": float(stack.relu_at_zero)}
        nodes.append(layer.autodiff(ops, [nodes[s] for s in stack.sources(k)], values))
    # As for a dense network: Z is the pre-activation of the output layer's activation where it is one of the
    # table's (softmax's input), and the loss's form after that activation where it has one.
    last = stack.layers[-1]
    terms = stack.loss.autodiff_after.get(last.activation.name) if last.activation is not None else None
    terms = terms or stack.loss.autodiff
    if terms is None:
        raise Refused(f"no autodiff form of the loss {stack.loss.name!r} (its entry has none)")
    Z = nodes[stack.sources(stack.depth)[0]] if last.activation is not None else None
    try:
        summands = terms(ops, Z, nodes[-1], Y)
    except TypeError:
        raise Refused(f"the loss {stack.loss.name!r}'s autodiff form needs the pre-activation of an output "
                      "activation, and the last layer is none") from None
    return ops.total(summands) / X.shape[1]


def library_gradient(library: str, stack: Stack, params: dict, X, Y, data: dict) -> dict[str, np.ndarray]:
    ops = _ops(library)
    if library == "torch":
        import torch
        tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in {**params, "X": X}.items()}
        E = _library_loss(ops, stack, {k: v for k, v in tensors.items() if k != "X"}, tensors["X"],
                          torch.tensor(Y, dtype=torch.float64),
                          {k: torch.tensor(v, dtype=torch.float64) for k, v in data.items()})
        E.backward()           # a parameter E does not read (an rnn:H/1's Wh) gets no grad: its gradient is 0
        return {k: t.grad.numpy() if t.grad is not None else np.zeros(t.shape) for k, t in tensors.items()}
    import jax
    import jax.numpy as jnp
    x64 = jax.enable_x64(True) if hasattr(jax, "enable_x64") else jax.experimental.enable_x64()
    with x64:
        given = {k: jnp.asarray(v) for k, v in {**params, "X": X}.items()}
        grads = jax.grad(lambda p: _library_loss(ops, stack, {k: v for k, v in p.items() if k != "X"}, p["X"],
                                                 jnp.asarray(Y), {k: jnp.asarray(v) for k, v in data.items()}))(given)
        return {k: np.asarray(v) for k, v in grads.items()}


LIBRARIES = ("torch", "jax")


def gradcheck_stack(stack: Stack, params: dict, X, Y, data: dict | None = None,
                    code: LayerCode | None = None) -> LayerGradcheck:
    """The generated gradient against central differences, complex step and the installed autodiff libraries."""
    data = data or {}
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    params = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    code = code or LayerCode(stack, X.shape[1])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):   # underflow to 0 is harmless
        ours = code.gradient(params, X, Y, data)
    report = LayerGradcheck(stack, ours)
    report.comparisons.append(_compare("central differences", ours, _by_entries(code, params, X, Y, data, _central),
                                       1e-6))
    if all(layer.analytic for layer in stack.layers) and stack.loss.analytic:
        report.comparisons.append(_compare("complex step", ours, _by_entries(code, params, X, Y, data, _complex),
                                           1e-12))
    else:
        report.comparisons.append(Comparison("complex step", refused="a layer or the loss is not analytic "
                                             "(a kink or |·|)"))
    for library in LIBRARIES:
        if importlib.util.find_spec(library) is None:
            continue
        try:
            theirs = library_gradient(library, stack, params, X, Y, data)
        except Refused as why:
            report.comparisons.append(Comparison(library, refused=str(why)))
            continue
        report.comparisons.append(_compare(library, ours, theirs, 1e-10))
    return report
