"""The Markdown write-ups render: parsed as CommonMark with dollar maths (markdown-it-py and its dollarmath
plugin, the parser Jupyter Book and MyST use), every heading is a heading, every display a maths block, every
table a table with as many cells in each row as in its header, no text swallowed by a run-on paragraph, and
the figure's image is the SVG written beside the document.

Issue 13 asks that the Markdown render; a review found '## 8. Worked numbers' glued to the paragraph before
it (pandoc's default then renders it as text) and a source display glued to its lead-in.
"""
from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from symbackprop import Network, derive, preset
from symbackprop.model.notations import NOTATIONS
from symbackprop.writeup.document import render, write

PARSER = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin, double_inline=True)

CASES = [(name, derive(preset(name))) for name in sorted(NOTATIONS)] + [
    ("matrix", derive(Network(sizes=(2, 3, 3), activations=("relu", "softmax"), loss="cce", batch=4))),
    ("matrix", derive(Network(sizes=(2, 3, 3, 2), activations="sigmoid", batch=4))),
]


def tokens(md: str):
    return PARSER.parse(md)


def headings(md: str) -> list[str]:
    toks = tokens(md)
    return [toks[k + 1].content for k, t in enumerate(toks) if t.type == "heading_open"]


@pytest.fixture(scope="module", params=range(len(CASES)), ids=[f"{n}-{'-'.join(map(str, d.net.sizes))}"
                                                              for n, d in CASES])
def md(request) -> str:
    name, d = CASES[request.param]
    return render(d, notation=name, fmt="markdown")


def test_every_heading_parses_as_one(md):
    """Each '## ' line of the source is a heading in the parse, none swallowed into the paragraph before it."""
    written = [line.lstrip("#").strip() for line in md.splitlines() if re.match(r"#{1,3} ", line)]
    assert written and headings(md) == written


def test_every_display_is_one_maths_block(md):
    """A '$$ … $$' display parses as one maths block: none broken by a blank line inside it or left open."""
    toks = tokens(md)
    children = [c for t in toks if t.type == "inline" for c in t.children or []]
    # a display right under a list item's line is display maths inside its paragraph: math_inline_double
    blocks = [t for t in toks if t.type == "math_block"] + [c for c in children if c.type == "math_inline_double"]
    assert md.count("$$") % 2 == 0 and len(blocks) == md.count("$$") // 2
    assert all(r"\begin{aligned}" not in t.content or r"\end{aligned}" in t.content for t in blocks)
    assert not [c.content for c in children if c.type == "text" and "$" in c.content]   # no maths left as text


def test_every_table_parses_with_its_columns(md):
    """A table's rows have as many cells as its header (a '|' in maths would split a cell)."""
    toks = tokens(md)
    tables, row = [], None
    for t in toks:
        if t.type == "table_open":
            tables.append([])
        elif t.type == "tr_open":
            row = 0
        elif t.type in ("th_open", "td_open"):
            row += 1
        elif t.type == "tr_close":
            tables[-1].append(row)
    written = sum(1 for k, line in enumerate(md.splitlines()) if re.fullmatch(r"\|(-+:?\|)+", line))
    assert len(tables) == written and all(len(set(rows)) == 1 for rows in tables), tables


def test_no_bold_lead_is_glued_to_the_paragraph_before(md):
    """'**Post [1]**' and 'Brawer (41), a slip.' start paragraphs of their own (review 5 found one glued)."""
    toks = tokens(md)
    paragraphs = [toks[k + 1].content for k, t in enumerate(toks) if t.type == "paragraph_open"]
    for text in paragraphs:
        assert "\n**" not in text, text[:200]
    # a paragraph of the source appendix starts its own: 'Devices …' ran on from 'Every member …' (review 6)
    leads = ("Every member of every display", "How they are checked", "Devices this document does not use")
    assert not [t[:80] for t in paragraphs if any(f"\n{lead}" in t for lead in leads)]


@pytest.mark.parametrize("name", ["ng", "goodfellow"])
def test_the_figure_is_the_svg_beside_it_in_a_paragraph_of_its_own(name, tmp_path):
    """Review 6: the image followed 'After the step, … lower than before.' with no blank line: it rendered inline."""
    write(derive(preset(name)), tmp_path, notations=(name,), formats=("md",))
    md = (tmp_path / "derivation.md").read_text()
    toks = tokens(md)
    paragraphs = [toks[k + 1] for k, t in enumerate(toks) if t.type == "paragraph_open"]
    images = [(p, c) for p in paragraphs for c in p.children or [] if c.type == "image"]
    assert [c.attrs["src"] for _, c in images] == ["derivation.svg"] and (tmp_path / "derivation.svg").exists()
    assert [c.type for c in images[0][0].children] == ["image"]          # alone in its paragraph


def test_the_chain_rule_steps_are_one_list_each_item_holding_its_displays(md):
    """Review 6: each step's '$$' display sat at the left margin, ending the list item; the list restarted at
    every step. Now §7's steps parse as one ordered list, numbered 1, 2, …, every step's display inside its item."""
    toks = tokens(md)
    start = next(k for k, t in enumerate(toks) if t.type == "heading_open" and "worked example" in toks[k + 1].content)
    end = next(k for k in range(start + 1, len(toks)) if toks[k].type == "heading_open")
    section = toks[start:end]
    lists = [t for t in section if t.type == "ordered_list_open"]
    assert len(lists) == 1, [t.attrs for t in lists]
    depth, items, inside = 0, 0, 0
    for t in section:
        depth += t.type == "ordered_list_open"
        depth -= t.type == "ordered_list_close"
        items += t.type == "list_item_open"
        inside += depth > 0 and t.type == "math_block"
    steps = len(re.findall(r"^\d+\. \*\*", md[md.index("worked example"):], flags=re.M))
    assert items == steps >= 3 and inside >= steps       # every step has a display, all of them in the list
