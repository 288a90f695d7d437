"""Write-ups: the derivation of one network as a LaTeX article, a PDF and a Markdown page.

``document`` gathers everything a write-up shows, as plain strings and lists in the reader's
notation: the network, the forward pass (components and matrices, with dimensions), the error,
the chain rule step by step with a reason for each step, the boxed δ equations and their matrix
form, the seed's own equations where the network is the one the seed derives for, a worked
partial written out by direct differentiation and by the δ equations, the verification table
and a numeric comparison. Every printed general equation is instantiated at every layer, unit
and sample of the network and proved like the δ steps, so that what the reader sees is checked.
Templates lay it out; ``write`` puts the files in place only when each one is complete.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from ..model.errors import SpecError
from ..model.losses import Loss
from ..model.losses import loss as loss_entry
from ..model.notations import Notation, canonical_parameter
from ..model.notations import notation as notation_named
from ..model.spec import Network
from ..numeric.arrays import random_data, random_params
from ..numeric.gradcheck import gradcheck
from ..symbolic.derive import Derivation, Step, as_derivation
from ..symbolic.general import THEN, A, E, General, Partial, W, Y, Z, b, delta, lam, layer_matrix, matrix_form, n
from ..symbolic.verify import PROVED, Report, check_step, verify
from . import figures, seed_displays, seeds
from . import numbers as worked_numbers
from .algorithm import algorithm, backward_dimensions, costs, output_delta_matrix, shape_tex, tidy
from .explain import explain, first_sample_terms, tree_size, written_in, written_lines
from .layout import MATHS, render_template
from .pdf import INSTALL_HINT, LatexError, NoEngine, compile_pdf, find_engine
from .printing import Printer, Quantity, tex_to_text

FORMATS = {"tex": "derivation.tex.j2", "md": "derivation.md.j2", "pdf": "derivation.tex.j2"}
FILE_WORDS = {"tex": "the LaTeX", "md": "the Markdown", "pdf": "the PDF"}   # a file's step, in progress
RENDERERS = {"latex": "derivation.tex.j2", "markdown": "derivation.md.j2"}
EDITIONS = ("student", "teacher")     # student: derives and explains, the evidence in one sentence and an appendix
NUMERIC_REFERENCES = ("routes", "central differences", "complex step", "hand-written")
NUMERIC_SEED, SYMBOLIC_DECAY = 0, 0.1


def write_up_batch(sizes: Sequence[int]) -> int:
    """The batch a write-up uses unless told: the smallest m >= 3 that is no layer's width, so that no
    A^l (n_l × m) is square or shaped like a weight matrix, and 1/m never prints as the loss's ½.

    >>> write_up_batch((2, 3, 1)), write_up_batch((4, 8, 8, 3))
    (4, 5)
    """
    return next(m for m in range(3, max(sizes) + 3) if m not in sizes)


# The worked partial: a weight of the first layer, whose chain runs through every layer.
DEFAULT_PARAMETER = "W1[1,1]"


# --- pieces of the document -------------------------------------------------------------------------


def bare(glyph: str) -> str:
    """A glyph without its layer and subscript: δ^{@l}_{@s} -> δ, dZ^{[@l]}_{@s} -> dZ, a^{(@l)}_{@s} -> a."""
    return re.sub(r"\^\{[\[(]?@l[\])]?\}|_\{@s(,0)?\}|\\left\(.*|\(.*", "", glyph).strip()


def _checked(d: Derivation, general: General, eqs, p: Printer, cache: dict) -> list[dict]:
    """Each general equation printed, with the proof of its every instance in this network."""
    out = []
    for eq in eqs:
        results = [check_step(d, Step(name, truth, claim, assume=assume), cache=cache)
                   for name, truth, claim, assume in general.check_instances(eq)]
        if not results:                                  # a hidden-layer equation in a network without one
            continue
        row: dict[str, Any] = {"lhs": p.latex(general.display(eq.lhs)), "lines": p.latex_lines(general.display(eq.rhs)),
                               "then": [] if eq.then is None else p.latex_lines(general.display(eq.then))}
        if row["lhs"] == "".join(row["lines"]):         # θ writes A as h(z): "h(z) = h(z)" says nothing
            continue
        points: dict[str, list] = {}                    # an instance is a point (l, i, c); a display with a
        for r in results:                               # second form ("then") makes two claims at each
            points.setdefault(r.name.removesuffix(THEN), []).append(r)
        row.update(label=eq.label, why=p.words(eq.why), scope=_scope(eq, general, p), assumption=p.axis(eq.assumption),
                   instances=len(points), proved=sum(all(r.status == PROVED for r in rs) for rs in points.values()),
                   failed=[r.name for r in results if not r.ok], ok=all(r.ok for r in results))
        out.append(row)
    return out


def _scope(eq, general: General, p: Printer) -> str:
    """Where an equation holds, in the reader's numbers and letters: "$l = 1, \\dots, L - 1$, unit $i$, sample $c$"
    (a node's layers from the first after the input, a weight's as the notation numbers weights)."""
    x, offset = general.x, general.notation.layer_offset
    shift = general.notation.weight_offset if eq.anchor == "weight" else offset      # ours + shift = the reader's
    first, last = p.latex(sp.Integer(1 + shift)), p.latex(x.reader_L - offset + shift)
    layers = {"all": f"${p.latex(x.reader_l)} = {first}, \\dots, {last}$",
              "hidden": f"${p.latex(x.reader_l)} = {first}, \\dots, {p.latex(x.reader_L - offset + shift - 1)}$",
              "output": "the output layer", "none": ""}[eq.layers]
    words = {"i": "unit {}", "j": "unit {} of the layer before", "c": "sample {}"}
    shown = [words[k].format(f"${p.latex(getattr(general.x, k))}$") for k in eq.over
             if not (k == "c" and general.notation.tex.per_sample and general.net.batch == 1)]
    return ", ".join(part for part in [layers, *shown] if part)


def letters(glyphs) -> tuple[str, str]:
    """The notation's own letters for a unit's input and output in the table of g and g′: z and a, but a and h in
    Goodfellow, a and z in Bishop; a where the output's glyph is the function itself (theta's h(z))."""
    pre, post = bare(glyphs.pre), bare(glyphs.post)
    return pre, ("a" if post == bare(glyphs.g) or post == pre else post)


def _layers(d: Derivation, p: Printer) -> list[dict]:
    z, a = (sp.Symbol(letter) for letter in letters(p.glyphs))
    rows = [{"layer": p.notation.layer_offset, "units": d.net.sizes[0], "activation": "input",
             "g": "", "gprime": ""}]
    for l in d.forward.layers:
        name, rule = d.net.layer_activations[l - 1], d.net.rule(l)
        if rule.elementwise:
            g, gprime = p.latex(rule.formula(z, l)), p.latex(d.forward.table_form(rule.textbook_derivative(z, a, l)))
        else:
            # the table's own letters, unit i of the layer and k summed (not the printer's Z^l, which needs a layer)
            zi, zk, ai, ak = (f"{v.name}_{{{index}}}" for v, index in ((z, "i"), (z, "k"), (a, "i"), (a, "k")))
            kronecker = p.latex(sp.KroneckerDelta(*sp.symbols("i k")))
            g = rf"\frac{{e^{{{zi}}}}}{{\sum_{{k=1}}^{{{d.net.sizes[l]}}} e^{{{zk}}}}}"
            gprime = rf"\frac{{\partial {ai}}}{{\partial {zk}}} = {ai} \left({kronecker} - {ak}\right)"
        rows.append({"layer": l + p.notation.layer_offset, "units": d.net.sizes[l],
                     "activation": name if rule.concrete else "any differentiable",
                     "g": g, "gprime": gprime})
    return rows


def _dimensions(d: Derivation, p: Printer) -> list[dict]:
    """Z^l = W^l A^{l-1} + b^l 1ᵀ for each layer, and the shape of every factor."""
    n, m, out = d.net.sizes, d.net.batch, []
    for l in d.forward.layers:
        W, A_prev = layer_matrix("W", str(l), 0, n[l], n[l - 1]), layer_matrix("A", str(l), -1, n[l - 1], m)
        bias, Z = layer_matrix("b", str(l), 0, n[l], 1), layer_matrix("Z", str(l), 0, n[l], m)
        rhs = sp.MatAdd(sp.MatMul(W, A_prev), bias if p.one_example else sp.MatMul(bias, sp.OneMatrix(1, m)),
                        evaluate=False)
        out.append({"equation": p.latex(Z) + " = " + p.latex(rhs),
                    "lhs": shape_tex(p.layout(Z)), "rhs": shape_tex(p.layout(rhs))})
    return out


# What the worked partial shows, so that it stays a page or two at any size: rows per chain-rule step (every
# row of a step has the same form), paths, terms named in a reason, and symbols and operations in one form.
DOC_ROWS, DOC_PATHS, DOC_TERMS, DOC_SIZE = 4, 8, 8, 600
MAX_WORKED_LINES = 10      # the worked partial's δ form written out, in lines, past which it is only sized
MAX_SUMMED_PATHS = 4096        # the worked partial's paths summed and proved equal to it; past this, counted only


def _worked(d: Derivation, p: Printer, name: str, notation_name: str, report: Report) -> dict:
    """One partial by direct differentiation and by the δ equations, and the proof (verify's) that they agree."""
    v = d.symbol(name)
    direct, closed = d.partial(name), d.closed_form(name)
    proof = report[name]
    x = explain(d, notation_named(notation_name).parameter(name), notation=notation_name)   # as it reads names
    if x.path_count <= MAX_SUMMED_PATHS:
        paths = check_step(d, Step("sum over paths", x.result, sp.Add(*[path.product for path in x.paths])))
        paths_status, paths_method = paths.status, paths.method
    else:                                      # the steps' result is still proved equal to d.partial by the tests
        paths_status, paths_method = "not checked", f"{x.path_count:,} paths: summed up to {MAX_SUMMED_PATHS:,}"
    # a sum over the samples, each term of one form: the first sample's written out, the others' counted
    (direct_part, left_out), (closed_part, closed_left) = first_sample_terms(direct), first_sample_terms(closed)
    direct_lines = written_lines(p, direct_part, left_out, DOC_SIZE)
    closed_lines = written_lines(p, closed_part, closed_left, DOC_SIZE)
    # written out in the network's quantities, a deep network's partial is pages long: said, with its size, and
    # left to the δ form and the worked numbers (the proof that the two agree is the same either way)
    long = tree_size(direct_part) > DOC_SIZE or len(direct_lines) > MAX_WORKED_LINES + bool(left_out) \
        or len(closed_lines) > MAX_WORKED_LINES + bool(closed_left)
    return {"name": name, "parameter": p.latex(v), "lhs": p.latex(Partial(E, v)), "identities": _identities(d, p),
            "direct": direct_lines, "delta": p.latex_lines(d.closed.gradient_equations[v]),
            "closed": closed_lines, "long": {"direct": tree_size(direct), "closed": len(closed_lines)} if long else {},
            "status": proof.status, "method": proof.method, "left_out": max(left_out, closed_left),
            "explanation": x.context(rows=DOC_ROWS, paths=DOC_PATHS, terms=DOC_TERMS, size=DOC_SIZE,
                                     lines=MAX_WORKED_LINES, one_sample=True),
            "paths_status": paths_status, "paths_method": paths_method}


def _identities(d: Derivation, p: Printer) -> list[dict]:
    """Why direct differentiation and the δ form agree: each activation's derivative as SymPy finds it
    (e^{-z}/(1 + e^{-z})², for the sigmoid) is the tabled form the δ equations use (a(1 − a)), shown once per
    activation at the first sample's first unit; none where the two print alike or g acts on a column."""
    out, seen = [], set()
    fp = d.forward
    for l in fp.layers:
        rule = d.net.rule(l)
        if not rule.elementwise or not rule.concrete or rule.name in seen:
            continue
        seen.add(rule.name)
        z, a = fp.Z[l][0, 0], fp.A[l][0, 0]
        raw = fp.with_conventions(sp.diff(rule.formula(z, l), z))     # relu′ at 0 as the network states it
        table = fp.table_form(rule.textbook_derivative(z, a, l))
        if p.latex(raw) != p.latex(table):
            g = p.function(l, False, p.latex)
            shown = p.latex(a)          # theta writes a as h(z) itself: nothing to say what it stands for
            out.append({"raw": p.latex(raw), "table": p.latex(table),
                        "with": "" if shown.startswith(g) else f"{shown} = {g}({p.latex(z)})"})
    return out


def _algorithm(general: General, p: Printer, boxed) -> dict:
    """The backward pass as an algorithm, the shape of each of its products here, and its cost against
    differentiating E once per parameter (multiplications, counted over this network's widths)."""
    net = general.net
    cost = costs(net.sizes, net.batch)
    return {**algorithm(general, p, boxed, net.weight_decay),
            "dimensions": backward_dimensions(general, p, boxed, net.weight_decay),
            "costs": {**cost, "ratio": f"{cost['ratio']:.1f}",
                      "per_forward": f"{cost['backward'] / cost['forward']:.1f}"}}


def _in_notation(numeric: dict, glyphs, p: Printer, d: Derivation) -> dict:
    """The numeric table in the reader's words and glyphs: the worst entry as the notation writes it
    (W2[1,3] -> θ^{(2)}_{1,3}), the generated routes by what they compute (route delta -> the δ equations)."""
    signal = bare(glyphs.tex.delta)
    names = {"route direct": "direct differentiation, generated NumPy",
             "route delta": f"the {tex_to_text(signal)} equations, generated NumPy"}
    rows = [{**row, "reference": names.get(row["reference"], row["reference"]),
             "worst": p.latex(d.symbol(row["worst"]))} for row in numeric["rows"]]
    return {**numeric, "rows": rows}


# Latin letters below U+0250 that pdflatex's default OT1 fonts cannot set, even through inputenc (found by compiling
# each one; tests/test_guard.py compiles every letter allowed): Þ, Đ, ŋ, guillemets and most of Latin Extended-B.
UNSET = (set("«»ÐÞðþĄąĐđĘęĦħĮįĸĿŀŉŊŋŦŧŲųſ") | {chr(c) for c in range(0x180, 0x250)}) - set(
    "ƒǄǅǆǇǈǉǊǋǌǍǎǏǐǑǒǓǔǢǣǦǧǨǩǰǴǵȘșȚțȲȳȷ")


def check_title(title: str | None) -> None:
    """A title is one line of text pdflatex can set: printable Latin letters and our maths characters."""
    if title is None:
        return
    bad = [c for c in title if not (c.isprintable() and (ord(c) < 0x250 and c not in UNSET or c in MATHS))]
    if bad or not title.strip():
        shown = repr(bad[0]) if bad else "an empty title"
        unset = " (pdflatex cannot set it with the document's fonts)" if bad and bad[0] in UNSET else ""
        raise SpecError(f"the title must be one line of printable Latin text (accents allowed) and the maths "
                        f"characters {''.join(MATHS)}; got {shown}{unset}")


def _verification(report: Report, p: Printer) -> dict:
    d = report.derivation
    return {"ok": report.ok, "counts": report.counts(), "equations": len(report.steps),
            "rows": [{"parameter": p.latex(d.symbol(r.name)), "status": r.status, "method": r.method}
                     for r in report.parameters]}


def _numeric(d: Derivation) -> dict:
    """The matrix route at a random point against the other routes, FD, complex step, hand-written."""
    if not all(r.concrete for r in d.net.layer_rules):
        return {"ok": True, "rows": [], "skipped": {}, "absent": "with an unspecified activation g there are no "
                "numbers; the proof above holds for every differentiable g"}
    rng = np.random.default_rng(NUMERIC_SEED)
    params = random_params(d.net, rng)
    X, Y = random_data(d.net, d.net.batch, rng)        # the document's own m: the E it derives
    lam = SYMBOLIC_DECAY if isinstance(d.net.weight_decay, str) else None
    report = gradcheck(d, params, X, Y, references=NUMERIC_REFERENCES, weight_decay=lam, seed=NUMERIC_SEED)
    rows: dict[str, dict[str, Any]] = {}
    for c in report.comparisons:
        row = rows.setdefault(c.reference, {"reference": c.reference, "max_abs": 0.0, "max_rel": 0.0,
                                            "worst": c.worst, "passed": True, "atol": c.atol, "rtol": c.rtol})
        if c.max_abs >= row["max_abs"]:
            row.update(max_abs=c.max_abs, worst=c.worst)
        row["max_rel"] = max(row["max_rel"], c.max_rel)
        row["passed"] = row["passed"] and c.passed
    return {"ok": report.ok, "absent": "", "samples": d.net.batch, "seed": NUMERIC_SEED, "decay": lam,
            "rows": [{**r, "max_abs": f"{r['max_abs']:.1e}", "max_rel": f"{r['max_rel']:.1e}",
                      "atol": f"{r['atol']:.0e}", "rtol": f"{r['rtol']:.0e}"} for r in rows.values()],
            "skipped": dict(report.skipped)}


def _labelled_by(glyphs: Notation, d: Derivation, seed: dict) -> str:
    """Whose numbers the boxed equations carry: the seed's where its derivation applies to this network, the
    book's (Nielsen's (BP1)) where the network is of the book's kind (its preset's loss, output activation and
    batch: Nielsen's and Bishop's gradients are one example's); else none, since the book's equation would then
    be another one."""
    if seed["applies"]:
        return f"{seed['name']}'s"
    preset, net = glyphs.preset, d.net
    activations = preset.get("activations")
    output = activations[-1] if isinstance(activations, list | tuple) else activations
    if (glyphs.book and net.loss == preset.get("loss") and net.activation(net.depth) == output
            and net.batch == preset.get("batch", net.batch)):        # the book's gradients are one example's
        return f"{glyphs.book}'s"
    return ""


def _seed(d: Derivation, notation_name: str) -> dict:
    """The seed's derivation, display by display, where the network fits the seed's assumptions.

    The displays are checked on the seed's small instance network (``seed_displays.checked``, once per
    process), not on ``d``: the general equations of the document are proved on ``d`` itself.
    """
    name = notation_named(notation_name)
    if seeds.seed_of(notation_name) is None:      # a notation of one's own, with no source derivation
        return {"id": "", "applies": False, "slip": "", "assumes": "", "checked": 0, "held": 0, "displays": [],
                "name": "", "tag": ""}
    applies = seeds.applies(notation_name, d)
    table = seed_displays.tables()[name.seed]          # every seed that seed_of knows has its table
    out: dict[str, Any] = {"id": name.seed, "applies": applies, "slip": seeds.slip(notation_name),
                           "assumes": _assumes_words(seeds.assumes(notation_name)),
                           "checked": 0, "held": 0, "displays": [],
                           "name": table.NAME, "tag": table.TAG}                    # "Brawer", "the post"
    if not applies:
        return out
    rows = [_display(c) for c in seed_displays.checked(name.seed)]
    here = table.Seed(d)
    for row, c in zip(rows, seed_displays.checked(name.seed), strict=True):   # a slip shown on this network itself
        if c.display.on_document and c.display.counterexample and (text := c.display.counterexample(here)):
            row["counterexample"] = text
    net = seed_displays.instance(name.seed)
    out.update(displays=rows, checked=sum(r["instances"] for r in rows), held=sum(r["held"] for r in rows),
               proved=sum(r["proved"] for r in rows), count=len(rows), title=table.TITLE,
               numbering=table.NUMBERING, reading=table.READING, provenance=table.PROVENANCE,
               devices=getattr(table, "DEVICES", ""),
               instance={"sizes": seed_displays.sizes_text(net), "loss": loss_words(net.loss, net.batch),
                         "activations": activation_words(net), "batch": net.batch})
    return out


def loss_words(name: str | Loss, batch: int) -> str:
    """A loss as a reader names it: "binary cross-entropy", "half squared error" for one example's."""
    entry = loss_entry(name)
    return entry.example_title if batch == 1 and entry.example_title else entry.title


def shape_words(sizes: tuple[int, ...]) -> str:
    """A network's layers in words: "2 inputs, a hidden layer of 3 units and 1 output unit"."""
    def units(n: int, what: str = "unit") -> str:
        return f"{n} {what}{'s' if n != 1 else ''}"

    hidden = list(sizes[1:-1])
    words = [units(sizes[0], "input")]
    if len(hidden) == 1:
        words.append(f"a hidden layer of {units(hidden[0])}")
    elif hidden:
        widths = ", ".join(map(str, hidden[:-1])) + f" and {hidden[-1]}"
        words.append(f"hidden layers of {widths} units")
    output = units(sizes[-1], "output unit")
    return ", ".join(words) + f" and {output}" if len(words) > 1 else f"{words[0]} and {output}"


def activation_words(net: Network) -> str:
    """A network's activations in words, a generic g (no formula) as "any differentiable" one."""
    names = [name if net.rule(l).concrete else "" for l, name in enumerate(net.layer_activations, start=1)]
    if len(set(names)) == 1:
        return f"{names[0] or 'any differentiable'} activations"
    if set(names[:-1]) == {""}:
        return f"any differentiable hidden activations and a {names[-1]} output"
    return "activations " + ", ".join(name or "any differentiable" for name in names)


def _assumes_words(assumes: dict[str, object]) -> str:
    """What a seed derives for, in words: "binary cross-entropy, sigmoid activations, one sample"."""
    batch = assumes.get("batch")
    words = [loss_words(str(assumes["loss"]), batch if isinstance(batch, int) else 2)] if "loss" in assumes else []
    if "activations" in assumes:
        words.append(f"{assumes['activations']} activations")
    if batch is not None:
        words.append("one sample" if batch == 1 else f"a batch of {batch}")
    return ", ".join(words)


def _appendices(seed: dict) -> dict[str, str]:
    """The student edition's appendix letters: the seed's derivation first where it is shown, then the checks."""
    parts = (["seed"] if seed["applies"] and seed["displays"] else []) + ["verification", "numeric"]
    return {part: "ABC"[k] for k, part in enumerate(parts)}


def _display(c: seed_displays.Checked) -> dict:
    display = c.display
    return {"number": display.number, "tex": display.tex, "kind": display.kind, "note": display.note,
            "corrected": display.corrected, "counterexample": c.counterexample, "instances": len(c.results),
            "held": sum(r.ok for r in c.results), "proved": c.proved, "ok": c.ok,
            "failed": [r.name for r in c.results if not r.ok], "network": c.network}


def _numbers(d: Derivation, p: Printer, parameter: str, inputs: worked_numbers.Inputs | None) -> dict:
    """The worked numbers (writeup.numbers), or why there are none."""
    if not all(d.net.rule(l).concrete for l in d.forward.layers):
        return {"absent": "a generic activation g has no numeric value", "ok": True}
    return worked_numbers.context(worked_numbers.compute(d, inputs), p, parameter)


def evidence(d: Derivation, progress: Callable[[int, int], None] | None = None,
             step: Callable[[str], None] | None = None) -> dict:
    """What a write-up reports in any notation: the verification and the numeric comparison.
    ``progress``: verify's (done, total); ``step``: told before the numeric comparison starts."""
    report = verify(d, progress=progress)
    (step or _quiet)("the numeric comparison")
    return {"report": report, "numeric": _numeric(d), "cache": {}}


def _quiet(section: str) -> None:
    """A step's name, told to no one."""


# What ``document`` tells its ``progress`` as it starts each of its slow parts, in order.
DOCUMENT_STEPS = ("checking the general equations", "checking the seed's displays", "the worked partial",
                  "the worked numbers")


def check_edition(edition: str) -> str:
    if edition not in EDITIONS:
        raise SpecError(f"unknown edition {edition!r}; allowed: {', '.join(EDITIONS)}")
    return edition


def document(d: Derivation, *, notation: str = "matrix", parameter: str | None = None,
             title: str | None = None, shared: dict | None = None, edition: str = "student",
             numbers: worked_numbers.Inputs | None = None, progress: Callable[[str], None] | None = None) -> dict:
    """Everything a write-up of ``d`` shows, as strings and lists in ``notation``.

    ``shared``: ``evidence(d)``, computed once for several notations. ``edition``: "student" (the
    derivation, with the machine's checks in one sentence and an appendix) or "teacher" (every check
    under its equation, and every table in the text). ``numbers``: the parameters, data and learning
    rate of the worked numbers (default: random ones from seed 0, η = 0.5). ``progress``: told the name of
    each of ``DOCUMENT_STEPS`` as it starts.
    """
    step = progress or _quiet
    written_in(notation)
    check_edition(edition)
    glyphs = notation_named(notation)
    parameter = canonical_parameter(parameter, glyphs) if parameter else DEFAULT_PARAMETER
    d.symbol(parameter)                                 # an unknown name fails here, listing the valid ones
    shared = shared or evidence(d)
    net, cache, report = d.net, shared["cache"], shared["report"]
    check_title(title)
    p = Printer.for_network(glyphs, net)
    general = General(d.chain, glyphs)
    sizes = "-".join(map(str, net.sizes))
    x = general.x
    boxed = general.boxed()
    step(DOCUMENT_STEPS[0])
    checked = {"forward": _checked(d, general, general.forward(), p, cache),
               "error": _checked(d, general, [general.error()], p, cache)[0],
               "chain": _checked(d, general, general.chain_rule(), p, cache),
               "boxed": _checked(d, general, boxed, p, cache)}
    step(DOCUMENT_STEPS[1])
    seed = _seed(d, glyphs.name)
    step(DOCUMENT_STEPS[2])
    worked = _worked(d, p, parameter, glyphs.name, report)
    step(DOCUMENT_STEPS[3])
    doc: dict[str, Any] = {
        "title": title or f"Back-propagation for the {sizes} network",
        "notation": {"name": glyphs.name, "seed": glyphs.seed, "error": p.glyphs.error,
                     "summed": glyphs.tex.error if p.glyphs.error != glyphs.tex.error else "",   # Bishop's E = Σ_n E_n
                     "per_sample": glyphs.tex.per_sample, "offset": glyphs.layer_offset,
                     "rows": glyphs.samples_as_rows,                        # samples as rows: every matrix transposed
                     "gradients": _gradient_glyphs(p),
                     "delta": p.latex(general.display(delta[x.l, x.i, x.c])),
                     "size": p.latex(general.display(n[x.l])),
                     "kronecker": p.latex(sp.KroneckerDelta(x.i, x.k)), "unit": p.latex(x.i), "next_unit": p.latex(x.k),
                     "previous_unit": p.latex(x.j), "sample": p.latex(x.c),
                     "signal": bare(glyphs.tex.delta), "pre": letters(glyphs.tex)[0], "post": letters(glyphs.tex)[1],
                     "definition": p.latex(general.display(general.scale * Partial(E, Z[x.l, x.i, x.c]))),
                     "weight": p.latex(W[x.lw, x.i, x.j]), "bias": p.latex(b[x.lw, x.i]),
                     # theta's θ^{(l)}_{:,1:}: a layer's weights as a matrix where the bias is its column 0
                     "weight_matrix": p.matrix_glyph("W", x.lw, p.latex) if glyphs.tex.weight_matrix else "",
                     "input": p.latex(general.display(A[0, x.j, x.c])), "input_layer": _input_layer(p, x),
                     "output": p.latex(
                         general.display(A[x.L, x.i, x.c])), "target": p.latex(general.display(Y[x.i, x.c])),
                     "seed_labels": glyphs.labels, "labelled_by": _labelled_by(glyphs, d, seed),
                     "output_layer": p.latex(x.reader_L), "layer": p.latex(x.reader_l),
                     "rate": p.glyphs.rate, "error_name": glyphs.error_name, "source": glyphs.source,
                     "pre_word": glyphs.pre_word, "post_word": glyphs.post_word, "glossary_of": glyphs.glossary_of,
                     "algorithm_note": glyphs.algorithm_note,
                     "glossary": _glossary(glyphs, p.function(x.l, False, p.latex)),
                     "g": p.function(x.l, False, p.latex), "gprime": p.function(x.l, True, p.latex)},
        "network": {"sizes": sizes, "loss": net.loss, "loss_words": loss_words(net.loss, net.batch),
                    "shape_words": shape_words(net.sizes),
                    "batch": net.batch, "depth": net.depth,
                    "output_layer": net.depth + glyphs.layer_offset,      # the reader's L: one meaning throughout
                    "coupled": not net.rule(net.depth).elementwise,      # a softmax output: its Jacobian has I_ik
                    "ones": not p.one_example,                           # one example: no column of ones printed
                    "decay": net.weight_decay != 0, "lam": p.latex(lam),
                    "weight_decay": "" if isinstance(net.weight_decay, str) else p.latex(d.forward.weight_decay),
                    "parameters": net.parameter_count, "layers": _layers(d, p), "dimensions": _dimensions(d, p)},
        **checked,
        "matrix": [{"lhs": line["lhs"], "rhs": line["rhs"], "note": line["assumption"]}
                   for line in output_delta_matrix(general, p, boxed)]
        + [{"lhs": p.latex(general.display(lhs)), "rhs": p.latex(tidy(general.display(rhs))), "note": ""}
           for _, lhs, rhs in matrix_form(d.closed.rules, glyphs, net.weight_decay)],
        "algorithm": _algorithm(general, p, boxed),
        "seed": seed,
        "appendix": _appendices(seed),
        "worked": worked,
        "verification": _verification(report, p),
        "numeric": _in_notation(shared["numeric"], glyphs, p, d),
        "numbers": _numbers(d, p, parameter, numbers),
        "figure": figures.picture(explain(d, glyphs.parameter(parameter), notation=glyphs.name)), "image": "",
    }
    doc["holds"] = _holds(doc) and doc["numbers"]["ok"]
    doc["edition"] = edition
    doc["checks"] = _checks(doc)
    return doc


def _glossary(glyphs: Notation, g: str) -> list[dict[str, str]]:
    """The notation's glossary, its ``@g`` the activation as this document writes it (σ, or f where the network's
    activation is not the notation's own); a pair whose two sides are then the same is dropped."""
    pairs = [(theirs, ours.replace("@g", g)) for theirs, ours in glyphs.glossary.items()]
    return [{"theirs": theirs, "ours": ours} for theirs, ours in pairs if theirs != ours]


def _input_layer(p: Printer, x) -> str:
    """The input as the activations of the input layer, where the forward pass's first step writes it so (ufldl's
    a^{(1)}_j = x_j, theta's h^{(1)}(z^{(1)}), goodfellow's h^{(0)}); "" where that is the input's own glyph."""
    subscript = p.subscript(Quantity("A", 0, (x.j,), x.c), p.latex)
    glyph = p.glyphs.post.replace("@l", str(p.notation.layer_offset)).replace("@s", subscript)
    return "" if glyph == p.latex(A[0, x.j, x.c]) else glyph


def _gradient_glyphs(p: Printer) -> list[dict]:
    """Where the notation writes a layer's gradient its own way (Ng's dW^{[l]}, Goodfellow's ∇_{W^{(l)}} J): each
    glyph and the partial it stands for, said once before it is used; nothing where it is ∂E/∂W^l itself."""
    if not p.glyphs.gradient:
        return []
    w, size = -p.notation.weight_offset, sp.Symbol("n")
    out = []
    for kind in ("W", "b"):
        matrix = p.latex(layer_matrix(kind, "l", w, size, size))
        out.append({"glyph": p.latex(layer_matrix("d" + kind, "l", w, size, size)),
                    "partial": p.partial(matrix)})
    return out


def _checks(doc: dict) -> dict:
    """The checks of every printed general equation, gathered: the student edition's one sentence and table."""
    parts = [("forward", eq) for eq in doc["forward"]] + [("error", doc["error"])] + [
        ("chain", eq) for eq in doc["chain"]] + [("delta", eq) for eq in doc["boxed"]]
    equations = [eq for _, eq in parts]
    return {"equations": len(equations), "instances": sum(eq["instances"] for eq in equations),
            "proved": sum(eq["proved"] for eq in equations), "ok": all(eq["ok"] for eq in equations),
            "failed": sum(len(eq["failed"]) for eq in equations),
            # the section each comes from (∂E/∂W is in the chain rule and again boxed), and what it is checked
            # against: a definition (the forward pass, the error) is the network's own, a derivative direct
            # differentiation of E
            "rows": [{**{key: eq[key] for key in ("lhs", "scope", "instances", "proved", "ok")}, "part": part,
                      "definition": part in ("forward", "error"),
                      # softmax + cce's δ^L twice: the general form, and the short one with its assumption said
                      "scope": eq["scope"] + (f"; if {eq['assumption']}" if eq.get("assumption") else "")}
                     for part, eq in parts]}


def render(d: Derivation, *, notation: str = "matrix", fmt: str = "latex", parameter: str | None = None,
           title: str | None = None, edition: str = "student", numbers: worked_numbers.Inputs | None = None) -> str:
    """The write-up as a string: ``fmt`` "latex" (a standalone article) or "markdown"; ``edition``
    "student" (default) or "teacher"; ``numbers`` the worked numbers' inputs."""
    if fmt not in RENDERERS:
        raise SpecError(f"unknown format {fmt!r}; allowed: {', '.join(RENDERERS)}")
    d = as_derivation(d, "render")
    return render_template(RENDERERS[fmt], document(d, notation=notation, parameter=parameter, title=title,
                                                    edition=edition, numbers=numbers))


def _holds(doc: dict) -> bool:
    """Whether everything the document claims was checked and holds."""
    equations = doc["forward"] + [doc["error"]] + doc["chain"] + doc["boxed"]
    seed = doc["seed"]
    return (all(eq["ok"] for eq in equations) and doc["verification"]["ok"] and doc["numeric"]["ok"]
            and doc["worked"]["status"] != "failed" and doc["worked"]["paths_status"] != "failed"
            and seed.get("held", 0) == seed["checked"])


# --- files ---------------------------------------------------------------------------------------------


@dataclass
class Written:
    """What ``write`` produced: the files, and why a PDF is missing where one is."""

    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    logs: dict = field(default_factory=dict)           # each PDF's parsed LaTeX log (pdf.LatexLog)
    ok: bool = True                                    # every equation written holds, every check passed


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise SpecError(f"unknown format {unknown[0]!r}; allowed: {', '.join(FORMATS)}" if unknown else
                        f"no format given; allowed: {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(formats))


def check_folder(folder: Path) -> Path:
    """The output folder, created if needed; an error if it cannot be written."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise SpecError(f"cannot write to the output folder {str(folder)!r}: {error.strerror or error}") from None
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())           # mkstemp makes 0600; a document is as readable as any file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(d: Derivation, folder: Path | str = "derivation", *, notations: Sequence[str] = ("matrix",),
          formats: Sequence[str] = ("tex", "pdf", "md"), parameter: str | None = None,
          title: str | None = None, stem: str = "derivation", edition: str = "student",
          progress: Callable[[str, int, int], None] | None = None,
          numbers: worked_numbers.Inputs | None = None) -> Written:
    """Write the write-up of ``d`` in each notation and format into ``folder``.

    Files are named ``<stem>.<ext>``, or ``<stem>-<notation>.<ext>`` for several notations.
    Everything is rendered before anything is written. Without a LaTeX engine the .tex and .md
    are still written and ``problems`` says how to get the PDF. ``numbers``: as for ``document``.
    ``progress(stage, done, total)``: ("verify", equations, total) while verifying; then, as each step of
    the write-up starts, ("writing up (matrix: the worked numbers)", steps done, steps in all); and
    ("writing up", total, total) when every file is written.
    """
    formats = check_formats(formats)
    d = as_derivation(d, "write")
    check_title(title)
    check_edition(edition)
    for name in notations:
        written_in(name)                                # an unknown one fails here, listing the valid ones
    if numbers is not None:
        worked_numbers.check(d, numbers)                # bad parameters or data: nothing written
    folder = check_folder(Path(folder))
    tick = progress or (lambda stage, done, total: None)
    steps = [0, 1 + len(notations) * (len(DOCUMENT_STEPS) + len(formats))]     # done, total

    def step(where: str) -> None:                        # a step of the write-up starts: tick(where, done, total)
        tick(where, steps[0], steps[1])
        steps[0] += 1

    ours = canonical_parameter(parameter, notation_named(notations[0])) if parameter and notations else None
    if ours is not None:
        d.symbol(ours)                                  # an unknown name fails here, before any work
    shared = evidence(d, lambda done, total: tick("verify", done, total), lambda what: step(f"writing up ({what})"))
    docs = {}
    for name in notations:
        def in_notation(what: str, name: str = name) -> None:
            step(f"writing up ({name}: {what})")

        spelled = None if ours is None else notation_named(name).parameter(ours)     # as each notation reads it
        docs[name] = document(d, notation=name, parameter=spelled, title=title, shared=shared, edition=edition,
                              numbers=numbers, progress=in_notation)
    name_of = {name: f"{stem}-{name}" if len(notations) > 1 else stem for name in notations}
    images = {name: (f"{name_of[name]}.svg" if "md" in formats and not doc["figure"]["absent"] else "")
              for name, doc in docs.items()}          # the Markdown's network figure, an SVG beside it
    texts = {(name, fmt): render_template(FORMATS[fmt], {**doc, "image": images[name] if fmt == "md" else ""})
             for name, doc in docs.items() for fmt in formats}
    texts.update({(name, "svg"): figures.svg(docs[name]["figure"]) for name, image in images.items() if image})
    written = Written(ok=all(doc["holds"] for doc in docs.values()))
    engine = find_engine() if "pdf" in formats else None
    for (name, fmt), text in texts.items():
        path = folder / f"{name_of[name]}.{fmt}"
        if fmt in formats:                               # the figure's SVG beside the Markdown is no step of its own
            step(f"writing up ({name}: {FILE_WORDS[fmt]})")
        try:
            _write_one(written, path, fmt, text, engine)
        except OSError as error:                 # a full disk, a folder where the file goes: one line, no half file
            raise SpecError(f"cannot write {path}: {error.strerror or error}") from None
    tick("writing up", steps[0], steps[1])
    return written


def _write_one(written: Written, path: Path, fmt: str, text: str, engine: list[str] | None) -> None:
    if fmt != "pdf":
        write_atomic(path, text)
        written.files.append(path)
    elif engine is None:
        written.problems.append(f"{path.name} not written: {NoEngine.__name__}: no LaTeX engine found "
                                f"(latexmk or pdflatex); {INSTALL_HINT}")
    else:
        try:
            written.logs[path] = compile_pdf(text, path, jobname=path.stem, engine=engine)
            written.files.append(path)
        except LatexError as error:
            written.problems.append(f"{path.name} not written: {error}")
            written.log_lines += list(error.log_lines)
