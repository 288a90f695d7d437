"""Jupyter display of a Derivation: its boxed equations as display maths or Markdown.

Imported by ``Derivation._repr_latex_`` only when a notebook shows one, so deriving never loads Jinja2.
"""
from __future__ import annotations

from ..model.notations import notation as notation_named
from ..symbolic.derive import Derivation
from ..symbolic.general import General
from .layout import render_template
from .printing import Printer


def summary(d: Derivation, notation: str = "matrix") -> dict:
    """The network and its back-propagation equations in general form, printed in ``notation``."""
    names = notation_named(notation)
    printer = Printer.for_network(names, d.net)
    general = General(d.chain, names)
    show = lambda e: printer.latex(general.display(e))  # noqa: E731
    return {"sizes": "-".join(map(str, d.net.sizes)), "activations": ", ".join(d.net.layer_activations),
            "loss": d.net.loss, "batch": d.net.batch, "notation": names.name,
            "equations": [{"lhs": show(eq.lhs), "rhs": show(eq.rhs), "assumption": eq.assumption}
                          for eq in general.boxed()]}


def latex(d: Derivation) -> str:
    return render_template("summary.mathjax.j2", summary(d))


def markdown(d: Derivation) -> str:
    return render_template("summary.md.j2", summary(d))
