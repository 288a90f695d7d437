"""``explain`` for a layer stack: the chain of local derivatives from E to one parameter through the graph.

Names as ``verify_stack`` reports them: layer k's parameter ``gamma`` component (i, j) is ``gamma{k}[i,j]``
(``gamma1[2]`` is ``gamma1[2,1]``). The chain runs from E down every path of the graph to layer k (a residual
``add`` gives two paths, whose shares are summed), one line per node with the layer whose backward rule sends
∂E/∂H on, each rule as its kind's own ``tex_backward`` (no branch on a kind's name here). The rules are proved
by ``verify``; this text only lays out the chain, then the parameter's layer's rule derived step by step from
its entry's ``stages`` and ``steps`` (each step proved by ``derive``'s write-up, symbolic/steps.py).
"""
from __future__ import annotations

import re

from ..model.errors import SpecError
from ..model.layers import Stack


def _parameter(stack: Stack, text: str) -> tuple[int, str, int, int]:
    match = re.fullmatch(r"\s*([A-Za-z_]+?)(\d+)\[(\d+)(?:,\s*(\d+))?\]\s*", text)
    names = ", ".join(f"{name}[i,j]" for name in stack.parameter_shapes()) or "none"
    if match is None:
        raise SpecError(f"{text!r} is not a stack parameter such as gamma1[1,1]; this stack's: {names}")
    name, k, i, j = match[1], int(match[2]), int(match[3]), int(match[4] or 1)
    shapes = stack.parameter_shapes()
    if f"{name}{k}" not in shapes:
        raise SpecError(f"{name}{k} is not a parameter of this stack; its parameters: {names}")
    rows, cols = shapes[f"{name}{k}"]
    if not (1 <= i <= rows and 1 <= j <= cols):
        raise SpecError(f"{name}{k} is {rows}×{cols}; {name}{k}[{i},{j}] is outside it")
    return k, name, i, j


def paths(stack: Stack, k: int) -> list[list[int]]:
    """Every path of nodes from node k up to the output node L (k first)."""
    L = stack.depth
    if k == L:
        return [[L]]
    consumers = [c for c in range(1, L + 1) if k in stack.sources(c)]
    return [[k, *rest] for c in consumers for rest in paths(stack, c)]


def explain_stack(stack: Stack, parameter: str) -> str:
    k, name, i, j = _parameter(stack, parameter)
    L = stack.depth
    target = f"{name}{k}[{i},{j}]"
    every = paths(stack, k)
    lines = [f"∂E/∂{target} by the chain rule through the layer graph ({stack.describe()}):"]
    for number, path in enumerate(every, 1):
        chain = " ← ".join(["E", *(f"H{n}" for n in reversed(path)), target])
        lines.append(f"path {number}: {chain}" if len(every) > 1 else f"chain: {chain}")
    lines.append(f"  ∂E/∂H{L} = the {stack.loss.name} loss's gradient on the output (E = Σ loss / m)")
    nodes = sorted({n for path in every for n in path if n != L}, reverse=True)
    for n in nodes:
        consumers = [c for c in range(n + 1, L + 1) if n in stack.sources(c)
                     and any(c in path for path in every)]
        terms = " + ".join(f"(∂E/∂H{c})(∂H{c}/∂H{n})" for c in consumers)
        lines.append(f"  ∂E/∂H{n} = {terms}")
        for c in consumers:
            layer = stack.layers[c - 1]
            lines.append(f"      layer {c} ({layer.label}): {layer.tex_backward}")
    layer = stack.layers[k - 1]
    lines.append(f"  ∂E/∂{target} = Σ over H{k}'s components (∂E/∂H{k})(∂H{k}/∂{name}{k}[{i},{j}])")
    lines.append(f"      layer {k} ({layer.label}): {layer.tex_backward}")
    if len(every) > 1:
        lines.append("  the paths' shares are summed where they meet (the multivariable chain rule)")
    if layer.steps:
        lines.append(f"layer {k}'s rule derived from its forward stages (dy = ∂E/∂y, what the layers above send):")
        lines += [f"  {stage.tex}" for stage in layer.stages]
        for step in layer.steps:
            lines.append(f"  {step.tex.replace('&=', '=')}")
            lines.append(f"      {step.why}")
    lines.append("each rule is proved against the chain rule on E by: symbackprop verify --layers …; each step of "
                 "its derivation by: symbackprop derive --layers …")
    return "\n".join(lines)
