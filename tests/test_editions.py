"""The two editions of a write-up: the student edition derives and explains, with the machine's evidence in one
sentence and an appendix; the teacher edition has every check under its equation and every table in the text."""
import os
import re
import shutil
import subprocess

import pytest
from helpers import require_latex

from symbackprop import Network, derive
from symbackprop.model.errors import SpecError
from symbackprop.model.notations import notation
from symbackprop.symbolic.general import General
from symbackprop.writeup.document import document, render, write
from symbackprop.writeup.layout import render_template
from symbackprop.writeup.pdf import pdf_text

NET = Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2)
SCRIPT = shutil.which("symbackprop")


@pytest.fixture(scope="module")
def d():
    return derive(NET)


def instances(d) -> tuple[int, int]:
    """Independently of the document: every general equation's instances in this network."""
    general = General(d.chain, notation("matrix"))
    eqs = general.forward() + [general.error()] + general.chain_rule() + general.boxed()
    return len(eqs), sum(len(general.check_instances(eq)) for eq in eqs)


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
def test_the_student_edition_keeps_the_bookkeeping_out_of_the_text(d, fmt):
    text = render(d, fmt=fmt)
    equations, count = instances(d)
    assert (equations, count) == (12, 67)            # by hand: 8 + 8 + 1 + 9 + 4 + 8 + 6 + 2 + 2 + 6 + 9 + 4
    assert "Checked on this network" not in text and "atol" not in text
    assert text.count("How this document was checked") == 1
    assert f"Each of the {equations} general equations below" in text and f"({count} instances)" in text
    body, appendix = text.split(r"\appendix" if fmt == "latex" else "## Appendix A")
    assert "induction over" not in body and "by induction over the layers" in appendix   # the tables: appendix
    assert appendix.count("| holds |" if fmt == "markdown" else "& holds") == equations
    assert "The two are equal" in body and "The two are equal: proved" not in body        # no tool's verdict words
    assert "NumPy matrix route to" not in body


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
def test_the_teacher_edition_has_every_check_and_table(d, fmt):
    text = render(d, fmt=fmt, edition="teacher")
    assert text.count("Checked on this network: ") == 12 and "all 8 instances hold (8 proved exactly)" in text
    assert "atol" in text and "How this document was checked" not in text
    assert "Appendix" not in text and r"\appendix" not in text
    assert "The two are equal" in text and "Proved: exact" in text and "the generated NumPy matrix route to" in text
    if fmt == "markdown":                 # numbered as the PDF numbers them, whichever sections this network has
        headings = [line.split(". ")[0] for line in text.splitlines() if line.startswith("## ")]
        assert headings == [f"## {k}" for k in range(1, len(headings) + 1)], headings
        assert len(headings) == render(d, fmt="latex", edition="teacher").count("\\section{")   # as in the PDF


def test_a_failing_equation_shows_in_the_student_edition_too(d):
    doc = document(d)
    doc["chain"][0] = {**doc["chain"][0], "ok": False, "failed": ["dE/dW1[1,1]"]}
    for name in ("derivation.tex.j2", "derivation.md.j2"):
        assert "Fails on this network" in render_template(name, doc)


def test_an_unknown_edition_is_refused(d, tmp_path):
    with pytest.raises(SpecError, match="unknown edition 'answer key'; allowed: student, teacher"):
        render(d, edition="answer key")
    with pytest.raises(SpecError, match="unknown edition"):
        write(d, tmp_path, edition="lecturer", formats=("md",))
    assert list(tmp_path.iterdir()) == []


def test_the_cli_writes_either_edition(tmp_path):
    require_latex()
    env = {**os.environ}
    out = subprocess.run([SCRIPT, "derive", "--edition", "teacher", "-o", str(tmp_path / "t")], capture_output=True,
                         text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert "Checked on this network: all 16 instances hold" in (tmp_path / "t" / "derivation.md").read_text()  # m = 4
    text = pdf_text(tmp_path / "t" / "derivation.pdf")
    assert "Checked on this network" in text and "atol" in text
    out = subprocess.run([SCRIPT, "derive", "-o", str(tmp_path / "s")], capture_output=True,
                         text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    text = pdf_text(tmp_path / "s" / "derivation.pdf")
    assert "Checked on this network" not in text and "How this document was checked" in text
    assert re.search(r"\bA\s+The post.s derivation, display by display", text)             # the appendix's sections
    assert re.search(r"\bB\s+Verification", text) and "Numeric comparison" in text
    tex = (tmp_path / "s" / "derivation.tex").read_text()
    assert tex.index(r"\appendix") < tex.index(r"\label{sec:seed}") < tex.index(r"\section{Verification}") \
        < tex.index(r"\section{Numeric comparison}")
    bad = subprocess.run([SCRIPT, "derive", "--edition", "answers", "-o", str(tmp_path / "x")], capture_output=True,
                         text=True, timeout=60, env=env)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


def test_the_evidence_sentence_says_proved_only_when_every_instance_is(d):
    doc = document(d)
    assert "instances) and proved: each definition" in render_template("derivation.md.j2", doc)
    doc["checks"] = {**doc["checks"], "proved": doc["checks"]["instances"] - 3}
    text = render_template("derivation.md.j2", doc)
    assert "and proved:" not in text and f"and found to hold ({doc['checks']['proved']} proved exactly, the rest " \
        "numerically)" in text


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
def test_the_seed_section_and_the_steps_carry_no_bookkeeping_in_the_student_edition(d, fmt):
    """The seed's displays without a 'Checked: …' under each, the chain-rule reasons without the tool's lemma,
    the verification counting parameters as parameters; the teacher edition keeps every check."""
    student, teacher = render(d, fmt=fmt), render(d, fmt=fmt, edition="teacher")
    assert "display by display" in student                              # seed 000's section is there
    body, appendix = student.split(r"\appendix" if fmt == "latex" else "## Appendix A")
    seed = appendix.split("Verification")[0]                            # appendix A: the post's derivation
    for words in ("Checked:", "instances hold (", "lemma", "SymPy", "How they are checked"):
        assert words not in body and words not in seed, words
    assert re.search(r"Every member of every display below was checked .*: (\d+) of \1 instances hold\.", seed)
    assert "How they are checked" in teacher and teacher.count("Checked: all") >= 5
    assert "equations): " not in teacher + student                         # steps are not counted as parameters
    assert "such steps): all" in student and "resting on" in teacher   # the student reads a sentence, the teacher a table


def test_the_worked_partial_of_a_deep_softmax_network_stays_short():
    """4-8-8-3 with softmax: every chain-rule step showed all its rows (40 of them) and the partial written out in
    9,271 symbols: the worked section ran to 50 pages. Now a step shows 4 rows and counts the rest, and a form
    past 600 symbols gives its size."""
    deep = derive(Network(sizes=(4, 8, 8, 3), activations=("relu", "relu", "softmax"), loss="cce", batch=5))
    text = render(deep, fmt="latex")
    worked = text.split(r"\section{A worked example")[1].split(r"\section{")[0]
    assert len(worked) < 30_000, len(worked)
    assert "The other 36 rows of this step" in worked                    # 40 rows of Z^2 / A^1, 4 shown
    assert "9,271 symbols and operations by direct differentiation" in worked        # sized, not printed
    lines = [step.count("\\\\\n") for step in worked.split(r"\item ")[1:]]
    assert len(lines) == 8 and max(lines) <= 30, lines                 # a few rows of a few lines each
    assert r"\textbf{assemble}" not in worked                            # sized everywhere: left out (review 6)
    small = render(derive(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=4)), fmt="latex")
    assert "too long to show" not in small
    # review 5: every sample's rows of a step were printed, 4 alike in a row; one sample's are shown, and counted
    assert small.count("The other 3 rows of this step, one for each other sample, have the same form.") == 4
    assert "one for each other unit and sample" not in small and r"\frac{\partial E}{\partial Z^{1}_{1;2}} &=" not in small


@pytest.mark.parametrize("edition", ["student", "teacher"])
def test_every_table_of_fractions_has_room_between_its_rows(d, edition):
    """The g(z) column (1/(1+e^{-z})) and the ∂E/∂θ columns touched the row above at LaTeX's default row height;
    every longtable holding a fraction opens with its rows stretched."""
    text = render(d, fmt="latex", edition=edition)
    tables = re.findall(r"(.{0,120})\\begin\{longtable\}(.*?)\\end\{longtable\}", text, flags=re.S)
    with_fractions = [(before, body) for before, body in tables if r"\frac" in body]
    assert len(with_fractions) >= 2
    for before, _ in with_fractions:
        stretch = re.search(r"\\renewcommand\{\\arraystretch\}\{([\d.]+)\}", before)
        assert stretch and float(stretch.group(1)) >= 1.5, before


def test_the_student_reads_one_sentence_for_the_parameters_unless_one_is_not_proved(d):
    """Review 4: a 13-row 'proved | exact: induction over layers' table taught the student nothing. It is one
    sentence while every parameter is proved; a parameter that is not (numeric only, or failed) brings the table
    back, so nothing short of a proof is hidden."""
    doc = document(d)
    for name in ("derivation.tex.j2", "derivation.md.j2"):
        text = render_template(name, doc)
        assert f"all {len(doc['verification']['rows'])} parameters." in text and "exact: induction" not in text
    rows = [dict(r) for r in doc["verification"]["rows"]]
    rows[0].update(status="numeric", method="numeric: agree at random points")
    counts = {**doc["verification"]["counts"], "proved": len(rows) - 1, "numeric": 1}
    held = {**doc, "verification": {**doc["verification"], "rows": rows, "counts": counts}}
    for name in ("derivation.tex.j2", "derivation.md.j2"):
        text = render_template(name, held)
        assert "such steps): all" not in text and "numeric: agree at random points" in text


@pytest.mark.parametrize("name", ["ufldl", "goodfellow"])
def test_the_algorithm_heading_is_on_the_page_of_its_box(name, tmp_path):
    """Review 8: "6 The backward pass as an algorithm" stood at the foot of a page, its box on the next."""
    from symbackprop import preset
    from symbackprop.writeup.document import write
    from symbackprop.writeup.pdf import pdf_text
    require_latex()
    write(derive(preset(name, batch=4)), tmp_path, notations=(name,), formats=("pdf",))
    pages = pdf_text(tmp_path / "derivation.pdf").split("\f")                 # pdftotext ends a page with \f
    with_heading = [k for k, page in enumerate(pages) if "The backward pass as an algorithm" in page]
    assert with_heading and "Algorithm: back-propagation" in pages[with_heading[0]]
