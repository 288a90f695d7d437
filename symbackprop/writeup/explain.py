"""Chain-rule steps for one partial, as data: each equation, the rule applied and why.

The steps come from the derivation's own chain rule (direct.ChainRule), the same one that gives
``d.partial``: each step expands the adjoints ∂E/∂u of one layer's nodes into their consumers'
adjoints times the local derivatives. The result is assembled from the steps' own rows, so the
steps and the answer cannot disagree; a test proves it equal to ``d.partial``. The sum-over-paths
view lists every path from the parameter to E with its product of local derivatives.

    >>> from symbackprop import Network, derive
    >>> x = explain(derive(Network(sizes=(1, 1), activations="identity", batch=1)), "b1[1]")
    >>> print(x.text().splitlines()[-1])
    result: ∂E/∂b¹₁ = A¹₁;₁ - Y₁;₁
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cached_property
from typing import cast

import sympy as sp

from ..model.errors import SpecError
from ..model.notations import Notation, canonical_parameter
from ..model.notations import notation as notation_named
from ..symbolic.derive import Derivation, as_derivation
from ..symbolic.direct import adjoint_symbol, edge_symbol
from ..symbolic.general import E, Partial, signal_scale
from .layout import render_template
from .printing import Printer, Quantity, quantity_of, tex_to_text

MAX_PATHS = 64          # paths shown; past this only their number is
MAX_SHOWN_SIZE = 20_000  # the result written out in text: past this many symbols and operations, only its size


@dataclass(frozen=True)
class ChainStep:
    """One rule applied to a set of nodes: each row is lhs = form = form …, equal in turn."""

    rule: str
    why: str              # words: {terms} where the terms go ({node}, {others} too), {E}, {Z}, … in the notation
    terms: tuple[sp.Expr, ...]
    rows: tuple[tuple[sp.Expr, ...], ...]
    node: tuple[sp.Expr, ...] = ()      # the node the terms are of, where the step has several
    others: tuple[sp.Expr, ...] = ()    # the step's other nodes, each with terms of its own
    summary: bool = False               # it restates the steps before it (assembled): left out if too long to show

    def parts(self) -> dict[str, tuple[sp.Expr, ...]]:
        return {"terms": self.terms, "node": self.node, "others": self.others}


@dataclass(frozen=True)
class Path:
    """One path from the parameter to E: its nodes, its local derivatives, and their product."""

    nodes: tuple[sp.Symbol, ...]
    factors: tuple[sp.Expr, ...]      # each edge's ∂u/∂v as a symbol, then ∂E/∂(last node)
    product: sp.Expr


class Explanation:
    """The chain rule for ∂E/∂θ, step by step, and the paths from θ to E."""

    def __init__(self, d: Derivation, parameter: str, notation: str = "matrix"):
        self.d, self.notation = d, notation_named(notation)
        self.parameter = canonical_parameter(parameter, self.notation)
        self.v = d.symbol(self.parameter)
        self.printer = Printer.for_network(self.notation, d.net)

    # --- the steps -----------------------------------------------------------------------------------

    def local_value(self, u: sp.Symbol) -> sp.Expr:
        """∂E/∂u one step back, its edges evaluated (activation edges in the table's form, proved as lemmas)."""
        return self.d.chain.local_with(u, self._edge_value)

    @cached_property
    def steps(self) -> tuple[ChainStep, ...]:
        """The layer-by-layer steps, then the assembled partial and its δ form."""
        return self._chain_steps + (self._assembled(), self._delta_form())

    @cached_property
    def _chain_steps(self) -> tuple[ChainStep, ...]:
        out, frontier = [], [self.v]
        while frontier:
            out.append(self._step(frontier))
            frontier = self._next(frontier)
        return tuple(out)

    def _next(self, nodes: list[sp.Symbol]) -> list[sp.Symbol]:
        """The nodes whose adjoints the last step introduced, in the graph's order."""
        wanted = {w for u in nodes for w in self.d.chain.consumers.get(u, ())}
        return [u for u in self.d.forward.definitions if u in wanted]

    def _step(self, nodes: list[sp.Symbol]) -> ChainStep:
        chain = self.d.chain
        rows = tuple((adjoint_symbol(u), chain.local(u, symbolic_edges=True), self.local_value(u))
                     if chain.consumers.get(u) else (adjoint_symbol(u), self.local_value(u)) for u in nodes)
        rows = tuple(_distinct(row) for row in rows)
        rule, why = self._reason(nodes[0])
        consumers = tuple(chain.consumers.get(nodes[0], ()))
        if len(nodes) == 1 or "{terms}" not in why:
            return ChainStep(rule, why, consumers, rows)
        # several nodes (one unit in each sample, or a layer's units): what one of them feeds, not all of theirs
        # run together ("A feeds every unit of the next layer, Z_{1;1}, Z_{1;2}, …" would be one A feeding four)
        why = why.replace("{terms}", "{terms} (for {node}; likewise for {others})", 1)
        return ChainStep(rule, why, consumers, rows, (nodes[0],), tuple(nodes[1:]))

    def _reason(self, u: sp.Symbol) -> tuple[str, str]:
        q, fp = quantity_of(u.name), self.d.forward
        assert q is not None                         # u is one of the network's quantities
        decay = " and the weight-decay term" if u in fp.decay_term.free_symbols else ""
        if q.kind in ("W", "b"):
            return ("multivariable chain rule", "the parameter enters {E} only through {terms}" + decay
                    + "; {Z} is linear in it")
        if q.kind == "Z":
            elementwise = self.d.net.rule(cast(int, q.layer)).elementwise
            feeds = "only its own {post_word} {terms}" if elementwise else "every softmax output of its column, {terms}"
            return ("chain rule through the activation function", "{Z} feeds " + feeds + "; the derivative is the "
                    "activation function's own, as tabled with the network")
        if q.layer == self.d.net.depth:
            return "differentiate {E}", "the output enters {E} directly: no chain rule is needed"
        return ("chain rule into the next layer",
                "{A} feeds every unit of the next layer, {terms}; ∂{Z}/∂{A} is the weight")

    def _assembled(self) -> ChainStep:
        return ChainStep("assemble", "substitute each step into the one before it", (),
                         ((adjoint_symbol(self.v), self.result),), summary=True)

    def _delta_form(self) -> ChainStep:
        closed = self.d.closed.gradient_equations[self.v]
        if self.printer.samples != 1 and signal_scale(self.notation) != 1:     # theta's δ, Ng's dZ: one sample's
            why = "with {delta} = m ∂{E}/∂{Z} (one sample's own gradient), the same partial from the closed form, " \
                  "its 1/m written out"
        else:
            why = "name ∂{E}/∂{Z} as {delta}: the same partial from the closed form"
        return ChainStep("the {delta} equations", why, (), ((adjoint_symbol(self.v), closed),))

    @cached_property
    def result(self) -> sp.Expr:
        """∂E/∂θ assembled from the steps' rows: each adjoint replaced by its row's last form."""
        value = {row[0]: row[-1] for step in self._chain_steps for row in step.rows}     # ∂E/∂u -> its last form
        memo: dict[sp.Symbol, sp.Expr] = {}

        def assemble(adjoint: sp.Symbol) -> sp.Expr:
            if adjoint not in memo:
                memo[adjoint] = value[adjoint].xreplace({s: assemble(s) for s in value[adjoint].free_symbols
                                                         if s in value})
            return memo[adjoint]

        return assemble(adjoint_symbol(self.v))

    # --- the paths ---------------------------------------------------------------------------------------

    @cached_property
    def paths(self) -> tuple[Path, ...]:
        """Every path (their number is the product of the widths after the parameter, times the batch)."""
        return tuple(self._paths_from((self.v,)))

    @cached_property
    def shown_paths(self) -> tuple[Path, ...]:
        """The first MAX_PATHS paths, built alone: what is shown never costs more than that."""
        return tuple(itertools.islice(self._paths_from((self.v,)), MAX_PATHS))

    @cached_property
    def path_count(self) -> int:
        """The number of paths, counted without building them: each node's paths are its consumers' summed."""
        chain, count = self.d.chain, {}

        def paths_from(u: sp.Symbol) -> int:
            if u not in count:
                count[u] = (u in chain.error_symbols) + sum(paths_from(w) for w in chain.consumers.get(u, ()))
            return count[u]

        return paths_from(self.v)

    def _paths_from(self, nodes: tuple[sp.Symbol, ...]):
        chain, u = self.d.chain, nodes[-1]
        if u in chain.error_symbols:
            yield self._path(nodes, sp.diff(self.d.forward.E, u))
        for w in chain.consumers.get(u, ()):
            yield from self._paths_from(nodes + (w,))

    def _path(self, nodes: tuple[sp.Symbol, ...], last: sp.Expr) -> Path:
        edges = [edge_symbol(w, u) for u, w in zip(nodes, nodes[1:], strict=False)]
        values = [self._edge_value(w, u) for u, w in zip(nodes, nodes[1:], strict=False)]
        # the parameter straight to E (the weight-decay term): its own local derivative, λW, not ∂E/∂W, which
        # would read as the very partial the paths sum to
        factors = (*edges, adjoint_symbol(nodes[-1])) if len(nodes) > 1 else (self.d.forward.with_conventions(last),)
        product = sp.Mul(*values) * self.d.forward.with_conventions(last)
        return Path(nodes, factors, product)

    def _edge_value(self, w: sp.Symbol, u: sp.Symbol) -> sp.Expr:
        """∂w/∂u: an activation edge in its table form (a lemma, proved), any other SymPy's diff."""
        edge = self.d.edges.get(edge_symbol(w, u))
        return edge[3] if edge else self.d.chain.edge(w, u)

    # --- display -------------------------------------------------------------------------------------------

    def context(self, *, rows: int | None = None, paths: int = MAX_PATHS, terms: int | None = None,
                size: int = MAX_SHOWN_SIZE, lines: int | None = None, one_sample: bool = False) -> dict:
        """Plain strings for the templates: every expression printed in the notation's LaTeX.

        A document bounds what it shows: ``rows`` per step (the rest counted in ``more``: every row of a
        step has the same form, one per unit and sample), ``paths``, ``terms`` named in a reason (the rest
        elided), and ``size``, the symbols and operations of a form written out, and ``lines``, its lines (past
        either, only its size). ``one_sample``: a step's rows of its first sample only (every sample's rows
        have the same form; the rest are counted).
        """
        p = self.printer
        per_sample = self.path_count // self.d.net.batch \
            if self.path_count % self.d.net.batch == 0 and self.d.net.batch > 1 else 0
        if one_sample and per_sample and per_sample <= 2 * paths:  # one sample's paths, whole (not 8 of its 9)
            paths = per_sample

        def named(found: tuple) -> list[str]:
            shown = [p.latex(t) for t in (found if terms is None or len(found) <= terms else found[:terms - 1])]
            return shown if len(shown) == len(found) else shown + [r"\dots", p.latex(found[-1])]

        def form(adjoint: sp.Expr, e: sp.Expr, step: ChainStep) -> tuple[list[str], int]:
            """A row's form as lines, and how many samples' terms are left out (a summary's, by ``one_sample``)."""
            part, left_out = first_sample_terms(e) if one_sample and step.summary else (e, 0)
            return self._local_first(adjoint, e) or written_lines(p, part, left_out, size, lines), left_out

        steps = []
        for s, shown in ((s, self._shown_rows(s, rows, one_sample)) for s in self.steps):
            formed = [(row[0], [form(row[0], e, s) for e in row[1:]]) for row in shown]
            steps.append({"rule": p.words(s.rule), "summary": s.summary,
                          "why": _parts(p.words(s.why), {k: named(v) for k, v in s.parts().items()}),
                          "rows": [{"lhs": p.latex(lhs), "forms": [lines for lines, _ in forms]}
                                   for lhs, forms in formed],
                          "more": len(s.rows) - len(shown), "others": self._others(s),
                          "left_out": max((n for _, forms in formed for _, n in forms), default=0)})

        return {"parameter": p.latex(self.v), "lhs": p.latex(Partial(E, self.v)), "error": p.glyphs.error,
                "notation": self.notation.name,
                # a document (``lines`` given) leaves out a summary step that is too long in every form
                "steps": [step for step in steps if lines is None or not _sized_summary(step)],
                "paths": [{"nodes": [p.latex(n) for n in path.nodes], "factors": [p.latex(f) for f in path.factors]}
                          for path in self.shown_paths[:paths]],
                "path_count": self.path_count, "shown_paths": len(self.shown_paths[:paths]),
                "samples": self.d.net.batch,
                # the paths of one sample: a parameter is shared by the samples, each its own copy of the graph
                "per_sample": per_sample, "first_sample": 0 < per_sample == len(self.shown_paths[:paths])}

    def _shown_rows(self, step: ChainStep, most: int | None, one_sample: bool) -> tuple:
        """The rows of ``step`` a reader sees: at most ``most`` (unless one more would be left out), of the first
        sample only where ``one_sample`` (a row's sample is its node's; a parameter's row has none)."""
        rows = step.rows
        if one_sample:
            sample = [next((q.sample for q in self._quantities(row)), None) for row in rows]
            first = next((c for c in sample if c is not None), None)
            rows = tuple(row for row, c in zip(rows, sample, strict=True) if c is None or c == first)
        return rows[:_cut(len(rows), most)]

    def _quantities(self, row: tuple) -> list[Quantity]:
        """The quantities whose ∂E/∂ a row's left side is (a node: its layer, unit and sample)."""
        return [q for u in self.d.chain.consumers_of_adjoints(row[0]) if (q := quantity_of(u.name))]

    def _others(self, step: ChainStep) -> str:
        """What a step's rows range over, in words: "unit", "sample" or "unit and sample"."""
        quantities = [q for row in step.rows for q in self._quantities(row)]
        units = len({(q.layer, q.units) for q in quantities}) > 1
        samples = len({q.sample for q in quantities}) > 1
        return "unit and sample" if units == samples else "unit" if units else "sample"

    def _local_first(self, adjoint: sp.Symbol, form: sp.Expr) -> list[str] | None:
        """A node feeding one other: its form as the local derivative, then the upstream gradient, A(1 − A) ∂E/∂A
        (SymPy's order would put the upstream gradient inside g′, A ∂E/∂A (1 − A)); None for any other form."""
        chain = self.d.chain
        node = next(iter(chain.consumers_of_adjoints(adjoint)), None)
        consumers = chain.consumers.get(node, ()) if node is not None else ()
        if len(consumers) != 1 or node in chain.error_symbols:
            return None
        edge, upstream = self._edge_value(consumers[0], node), adjoint_symbol(consumers[0])
        if edge.is_Atom or form != edge * upstream:
            return None
        p = self.printer
        local = p.latex(edge)
        return [(rf"\left({local}\right)" if isinstance(edge, sp.Add) else local) + " " + p.latex(upstream)]

    @property
    def named(self) -> str:
        """The parameter's name as the arrays hold it: ours (W1[2,1] is W^1's row 2, column 1), or the
        notation's own where its arrays are the transposes of ours (samples as rows)."""
        return self.notation.parameter(self.parameter) if self.notation.samples_as_rows else self.parameter

    def text(self) -> str:
        """The steps as readable Unicode for a terminal."""
        p, net = self.printer, self.d.net
        error = tex_to_text(p.glyphs.error)
        lines = [f"∂{error}/∂{p.text(self.v)} ({self.named}) by the chain rule, step by step; "
                 f"network {'-'.join(map(str, net.sizes))}, {', '.join(net.layer_activations)}, {net.loss}, "
                 f"m = {net.batch}; notation {self.notation.name}"]
        for n, s in enumerate(self.steps[:-2], start=1):
            lines.append(f"{n}. {p.words(s.rule)}: " + _fill(p.words(s.why), {k: [p.text(t) for t in v]
                                                                              for k, v in s.parts().items()}))
            lines += ["   " + " = ".join(p.text(e) for e in row) for row in s.rows]
        lines.append(f"paths: {self.path_count} from {p.text(self.v)} to {error}"
                     + (f" (first {MAX_PATHS} shown)" if self.path_count > MAX_PATHS else ""))
        for path in self.shown_paths:
            route = " → ".join(p.text(n) for n in path.nodes) + f" → {error}"
            lines.append(f"   {route}: {p.text(path.product)}")
        delta = self.steps[-1].rows[0]
        lines.append(f"δ form: {p.text(delta[0])} = {p.text(delta[1])}")
        size = tree_size(self.result)
        shown = p.text(self.result) if size <= MAX_SHOWN_SIZE else (
            f"… ({size:,} symbols and operations written out: too long to show; it equals the δ form above)")
        lines.append(f"result: {p.text(adjoint_symbol(self.v))} = {shown}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"explain({self.d!r}, {self.parameter!r})"

    def latex(self) -> str:
        """A LaTeX fragment for an article: the steps as a list, then the paths."""
        return render_template("explain.tex.j2", {"x": self.context()})

    def markdown(self) -> str:
        return render_template("explain.md.j2", {"x": self.context()})

    def _repr_latex_(self) -> str:
        """Display maths for Jupyter (MathJax renders maths only, not LaTeX lists)."""
        return render_template("explain.mathjax.j2", {"x": self.context()})

    def _repr_markdown_(self) -> str:
        return self.markdown()


def tree_size(expr: sp.Expr) -> int:
    """Nodes of ``expr`` written out as a tree, counted on its shared subexpressions (so in linear time): the
    assembled partial of a wide network shares each layer's adjoint, but printing writes every copy."""
    sizes: dict = {}
    for node in _unique_postorder(expr):
        sizes[node] = 1 + sum(sizes[a] for a in node.args)
    return sizes[expr]


def _unique_postorder(expr: sp.Expr):
    """Each distinct subexpression once, arguments before the expressions that use them."""
    seen, order, stack = set(), [], [(expr, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in seen)
    return order


def shown_lines(p: Printer, expr: sp.Expr, limit: int = MAX_SHOWN_SIZE, lines: int | None = None) -> list[str]:
    """The form's lines, or, past ``limit`` symbols and operations or ``lines`` lines, its size: a wide network's
    partial written out is megabytes, a deep one's pages."""
    size = tree_size(expr)
    if size > limit:
        return [rf"\dots\ \text{{({size:,} symbols and operations written out: too long to show)}}"]
    shown = p.latex_lines(expr)
    if lines is not None and len(shown) > lines:
        return [rf"\dots\ \text{{({len(shown)} lines written out: too long to show)}}"]
    return shown


def first_sample_terms(expr: sp.Expr) -> tuple[sp.Expr, int]:
    """``expr``'s terms of the first sample (with those of no sample), and how many other samples' terms are left
    out: a partial of the error is a sum over the samples, each term of the same form with its own sample index.
    ``expr`` whole, and 0, where it is not such a sum (a term that mixes samples, or one sample only)."""
    coefficient, body = expr.as_coeff_Mul()
    groups: dict = {}
    for term in sp.Add.make_args(body):
        samples = {q.sample for s in term.free_symbols if (q := quantity_of(s.name)) and q.sample is not None}
        if len(samples) > 1:
            return expr, 0
        groups.setdefault(next(iter(samples), None), []).append(term)
    keyed = sorted(k for k in groups if k is not None)
    if len(keyed) < 2:
        return expr, 0
    return coefficient * sp.Add(*groups[keyed[0]], *groups.get(None, ())), len(keyed) - 1


def written_lines(p: Printer, part: sp.Expr, left_out: int, limit: int = MAX_SHOWN_SIZE,
                  lines: int | None = None) -> list[str]:
    """``part``'s lines (as ``shown_lines``), then "+ ⋯" where ``left_out`` samples' terms are not written."""
    shown = shown_lines(p, part, limit, lines)
    return shown + [r"+ \cdots"] if left_out and not shown[0].startswith(r"\dots\ ") else shown


def _sized_summary(step: dict) -> bool:
    """A summary step (the assembled partial) each of whose forms was too long to show: it says nothing a reader
    can follow, so a document leaves it out and gives the partial's size where it gives the rest. A step of the
    chain keeps its sized rows: without it the chain would have a gap."""
    return step["summary"] and all(len(form) == 1 and form[0].startswith(r"\dots\ \text{(")
                                   for row in step["rows"] for form in row["forms"])


def _cut(count: int, most: int | None) -> int:
    """How many of ``count`` rows to show: all, unless more than one would be left out past ``most``."""
    return count if most is None or count <= most + 1 else most


def _distinct(row: tuple) -> tuple:
    """Drop a form equal to the one before it (a step whose edges needed no evaluating)."""
    out = [row[0]]
    for e in row[1:]:
        if e != out[-1]:
            out.append(e)
    return tuple(out)


_PLACE = re.compile(r"\{(terms|node|others)\}")


def _fill(words: str, terms: dict[str, list[str]]) -> str:
    """The reason as one line of text, each list of terms in place of its {terms}, {node}, {others}."""
    return _PLACE.sub(lambda m: ", ".join(terms[m[1]]), words)


def _parts(words: str, terms: dict[str, list[str]]) -> list[dict]:
    """The reason for a template: words (escaped there, for its format) and maths (LaTeX), in order."""
    out: list[dict] = []
    pieces = _PLACE.split(words)          # text, name, text, name, …, text
    for n, piece in enumerate(pieces):
        if n % 2 == 0:
            out.append({"text": piece, "math": False})
            continue
        for k, term in enumerate(terms[piece]):
            out += ([{"text": ", ", "math": False}] if k else []) + [{"text": term, "math": True}]
    return out


def written_in(name: str) -> Notation:
    """The notation a write-up is in (an unknown name fails here, in one line listing the valid ones)."""
    return notation_named(name)


def explain(d: Derivation, parameter: str, *, notation: str = "matrix") -> Explanation:
    """The chain-rule steps and the paths for ∂E/∂parameter, shown in ``notation``.

    ``parameter`` as any notation writes it: "W1[2,1]", "θ(1)[2,1]" (or "theta(1)[2,1]"), "W(1)[2,1]".
    """
    if not isinstance(parameter, str):
        raise SpecError(f"explain's parameter is a name such as 'W1[2,1]'; got {type(parameter).__name__}")
    written_in(notation)
    return Explanation(as_derivation(d, "explain"), parameter, notation)
