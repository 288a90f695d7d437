r"""Layout: the Jinja2 environments the LaTeX and Markdown templates are rendered in.

Templates live in ``symbackprop/writeup/templates/``, inside the package, and are found with
importlib.resources, installed or not. The delimiters are LaTeX-safe, ``\VAR{…}``, ``\BLOCK{…}``, ``\#{…}``, so a
template reads as LaTeX; undefined variables are errors; ``|e`` escapes free text for the
template's format. Templates lay out strings they are given; this module knows no maths.

    >>> escape("50% of W_1 & {x}")
    '50\\% of W\\_1 \\& \\{x\\}'
"""
from __future__ import annotations

import importlib.resources
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

SYNTAX: dict[str, Any]            # jinja2.Environment's keyword arguments, of several types
SYNTAX = dict(block_start_string=r"\BLOCK{", block_end_string="}", variable_start_string=r"\VAR{",
              variable_end_string="}", comment_start_string=r"\#{", comment_end_string="}",
              line_statement_prefix=None, line_comment_prefix=None, trim_blocks=True, lstrip_blocks=True,
              keep_trailing_newline=True, autoescape=False, undefined=jinja2.StrictUndefined)

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "<": r"\textless{}", ">": r"\textgreater{}"}
# Maths characters our own text uses, as pdflatex can typeset them outside maths mode (\ensuremath, not $…$:
# two in a row must not make $$).
MATHS = {"∂": r"\partial", "δ": r"\delta", "ε": r"\varepsilon", "ϵ": r"\epsilon", "θ": r"\theta", "σ": r"\sigma",
         "Ψ": r"\Psi", "λ": r"\lambda", "Σ": r"\Sigma", "′": "'", "·": r"\cdot", "→": r"\to", "⊙": r"\odot",
         "ᵀ": "^{T}", "≤": r"\le", "×": r"\times"}
_LATEX_UNICODE = {**{c: r"\ensuremath{" + tex + "}" for c, tex in MATHS.items()},
                  "−": "-", "…": r"\dots{}", "–": "--", "—": "---", "’": "'", "“": "``", "”": "''"}
_BARRED = "[A-Za-z]\u0304"      # Ē: a letter with a combining macron (Bishop's mean error), \bar{E} in maths
_LATEX = re.compile("|".join([_BARRED, *(re.escape(c) for c in (*_LATEX_SPECIAL, *_LATEX_UNICODE))]))
_MARKDOWN = re.compile(r"([\\`*_\[\]#|<>$])")


def escape(text: str) -> str:
    """Free text for LaTeX: every special character typeset as itself."""
    return _LATEX.sub(lambda m: _LATEX_SPECIAL.get(m[0]) or _LATEX_UNICODE.get(m[0])
                      or r"\ensuremath{\bar{" + m[0][0] + "}}", str(text))


def escape_markdown(text: str) -> str:
    """Free text for Markdown: every character Markdown or its maths would read, backslashed."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def template_folder() -> Path:
    """The installed templates, or the source tree's in an editable install."""
    return Path(str(importlib.resources.files("symbackprop.writeup") / "templates"))


@cache
def environment(fmt: str) -> jinja2.Environment:
    """The environment for one format, "latex" or "markdown": the same syntax, its own escaper."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(template_folder()), **SYNTAX)
    env.filters["e"] = env.filters["escape"] = escape if fmt == "latex" else escape_markdown
    return env


def render_template(name: str, context: dict) -> str:
    """Render ``templates/<name>``; ``*.md.j2`` in the Markdown environment, the rest as LaTeX."""
    fmt = "markdown" if name.endswith(".md.j2") else "latex"
    return environment(fmt).get_template(name).render(**context)
