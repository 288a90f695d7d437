"""``derive`` for a layer stack: a document that derives each layer kind's backward rule step by step.

For a ``Stack`` (a network with batch normalisation, softmax, a residual, a convolution, a recurrent layer…)
the write-up is organised by layer, not by δ equation:

- the network, its error E and the backward pass through the layer graph as an algorithm (forward, the
  loss's gradient on the output, each layer's backward rule from the last layer down, the shares of a node
  read by two layers added), with its cost against differentiating E once per parameter;
- one section per layer rule (the first layer with that rule; a later one with the same rule points back):
  the kind's introduction, its forward rule as named stages, its derivation step by step (each step a
  display, the chain-rule reason in words, and every member of the display proved on this very layer by
  ``symbolic/steps.py``), and the backward rule it arrives at, boxed, as textbooks print it;
- the proof for the whole stack (``verify_stack``: every parameter's ∂E/∂θ by the chain rule through the
  graph equals the composed backward rules) and the generated NumPy gradient against central differences,
  complex step and the installed autodiff libraries.

The student edition states the machine's evidence in a sentence per section and an appendix; the teacher
edition puts every check in the text. Nothing here branches on a kind's name: everything a section shows
comes from the layer's entry (``about``, ``stages``, ``steps``, ``tex_backward``).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from ..model.errors import SpecError
from ..model.layers import Stack, check_work
from ..numeric.layers import LayerGradcheck, gradcheck_stack, random_data, random_given, random_params
from ..symbolic.graph import GraphReport, verify_stack
from ..symbolic.steps import LayerSteps, check_steps
from .document import Written, _write_one, check_edition, check_folder, check_formats, check_title
from .layout import escape, escape_markdown, render_template
from .pdf import find_engine

TEMPLATES = {"tex": "stack.tex.j2", "pdf": "stack.tex.j2", "md": "stack.md.j2"}
NUMERIC_SEED = 0
STACK_BATCH = 3          # derive's default batch for a stack: with 2, batch norm's x̂ is ±1 and hides its sums
STATUS_WORDS = {"proved": "proved exactly", "numeric": "holds numerically (50 digits)", "refuted": "FAILS"}


def prose(text: str, fmt: str) -> str:
    """Text with $…$ maths: the words escaped for the format, the maths kept as written."""
    parts = re.split(r"(\$[^$]*\$)", text)
    words = escape if fmt == "latex" else escape_markdown
    return "".join(part if part.startswith("$") and part.endswith("$") and len(part) > 1 else words(part)
                   for part in parts)


def _loss(stack: Stack) -> dict[str, str]:
    a, y = sp.Symbol("a", real=True), sp.Symbol("y", real=True)
    return {"name": stack.loss.name, "title": stack.loss.title, "term": sp.latex(stack.loss.term(a, y)),
            "gradient": sp.latex(sp.simplify(sp.diff(stack.loss.term(a, y), a)))}


def _parameters(stack: Stack, k: int) -> str:
    layer = stack.layers[k - 1]
    return ", ".join(f"{name} ({r}×{c})" for name, (r, c) in layer.parameters) or "none"


def _reads(stack: Stack, k: int) -> str:
    names = ["the input" if s == 0 else f"layer {s}" for s in stack.sources(k)]
    return " and ".join(names)


def _section(stack: Stack, k: int, checked: LayerSteps, later: list[int]) -> dict[str, Any]:
    layer = stack.layers[k - 1]
    steps = [{"tex": c.step.tex, "why": c.step.why, "status": c.status, "components": c.components,
              "how": c.how, "target": c.step.target} for c in checked.steps]
    forward = checked.forward
    return {"k": k, "label": layer.label, "about": layer.about, "reads": _reads(stack, k),
            "width": layer.width, "inputs": [stack.widths[s] for s in stack.sources(k)],
            "stages": [s.tex.replace("=", "&=", 1) for s in layer.stages], "steps": steps,
            "boxed": boxed(layer.tex_backward),
            "status": checked.status, "ok": checked.ok, "later": later,
            "forward_ok": forward is None or forward.status != "refuted",
            "components": sum(s["components"] for s in steps)}


def boxed(tex: str) -> list[str]:
    r"""A kind's ``tex_backward`` (its equations separated by ``,\quad``) as lines aligned at their = sign."""
    return [part.replace("=", "&=", 1) for part in re.split(r",\\quad\s*|,\\ \s*", tex) if part.strip()]


def _cost(stack: Stack) -> dict[str, int]:
    """Parameters, and the layers' rules run once each: one backward pass against P derivatives of E."""
    return {"parameters": stack.parameter_count, "layers": stack.depth}


def stack_document(stack: Stack, *, title: str | None = None, edition: str = "student",
                   progress: Callable[[str, int, int], None] | None = None, proof: GraphReport | None = None,
                   numeric: LayerGradcheck | None = None) -> dict[str, Any]:
    """Everything the stack's write-up shows (see the module); ``progress(stage, done, total)``. ``proof`` and
    ``numeric``: the stack's verify_stack and gradcheck_stack reports where the caller has them already."""
    tick = progress or (lambda stage, done, total: None)
    m = stack.batch
    check_work(stack, m, what="writing up")             # bounded before any step is derived (as verify is)
    sections: list[dict[str, Any]] = []
    first: dict[tuple, int] = {}
    for k, layer in enumerate(stack.layers, 1):
        tick("deriving each layer's rule", k - 1, stack.depth)
        key = (layer.label, tuple(stack.widths[s] for s in stack.sources(k)))
        if key in first:
            sections[first[key]]["later"].append(k)
            continue
        if not layer.steps:
            raise SpecError(f"layer {k} ({layer.label}): its entry has no derivation steps to write up")
        checked = check_steps(layer, key[1], m, stack.relu_at_zero)
        first[key] = len(sections)
        sections.append(_section(stack, k, checked, []))
    tick("proving the stack", 0, stack.depth + 1)
    if proof is None:
        proof = verify_stack(stack, progress=lambda done, total: tick("proving the stack", done, total))
    tick("comparing with the references", 0, 1)
    if numeric is None:
        rng = np.random.default_rng(NUMERIC_SEED)
        params = random_params(stack, rng)
        X, Y = random_data(stack, m, rng)
        numeric = gradcheck_stack(stack, params, X, Y, random_given(stack, m, rng))
    counts = {s: sum(r.status == s for r in proof.parameters) for s in ("proved", "numeric", "refuted")}
    return {
        "title": title or "Back-propagation through a layer stack",
        "edition": edition,
        "network": stack.describe(),
        "batch": m,
        "input": stack.input,
        "layers": [{"k": k, "label": layer.label, "reads": _reads(stack, k), "width": layer.width,
                    "parameters": _parameters(stack, k)} for k, layer in enumerate(stack.layers, 1)],
        "depth": stack.depth,
        "loss": _loss(stack),
        "shared": [n for n in range(stack.depth) if sum(n in stack.sources(k) for k in range(1, stack.depth + 1)) > 1],
        "cost": _cost(stack),
        "relu_at_zero": str(stack.relu_at_zero),
        "kinked": any(not layer.analytic for layer in stack.layers),
        "sections": sections,
        "proof": {"ok": proof.ok, "counts": counts, "total": len(proof.parameters), "steps": len(proof.steps),
                  "rows": [{"name": r.name, "status": r.status, "how": r.how} for r in proof.parameters]},
        "numeric": {"ok": numeric.ok, "samples": m, "seed": NUMERIC_SEED,
                    "rows": [{"reference": c.reference, "worst": f"{c.worst:.1e}", "tolerance": f"{c.tolerance:.0e}",
                              "refused": c.refused, "ok": c.ok} for c in numeric.comparisons]},
        "holds": proof.ok and numeric.ok and all(s["ok"] and s["forward_ok"] for s in sections),
        "status_words": STATUS_WORDS,
    }


def render_stack(doc: dict[str, Any], fmt: str) -> str:
    """The document as LaTeX (``tex``, ``pdf``) or Markdown (``md``)."""
    kind = "latex" if fmt in ("tex", "pdf") else "markdown"
    return render_template(TEMPLATES[fmt], {**doc, "p": lambda text: prose(text, kind)})


def write_stack(stack: Stack, folder: Path | str = "derivation", *, formats: Sequence[str] = ("tex", "pdf", "md"),
                title: str | None = None, stem: str = "derivation", edition: str = "student",
                progress: Callable[[str, int, int], None] | None = None):
    """Write the stack's write-up into ``folder`` as ``<stem>.<ext>``: everything rendered before anything is
    written, each file complete or absent (as ``document.write``)."""
    formats = check_formats(formats)
    check_title(title)
    check_edition(edition)
    folder = check_folder(Path(folder))
    doc = stack_document(stack, title=title, edition=edition, progress=progress)
    texts = {fmt: render_stack(doc, fmt) for fmt in formats}
    written = Written(ok=doc["holds"])
    engine = find_engine() if "pdf" in formats else None
    for done, (fmt, text) in enumerate(texts.items()):
        if progress is not None:
            progress(f"writing up ({fmt})", done, len(texts))
        path = folder / f"{stem}.{fmt}"
        try:
            _write_one(written, path, fmt, text, engine)
        except OSError as error:
            raise SpecError(f"cannot write {path}: {error.strerror or error}") from None
    return written
