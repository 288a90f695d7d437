r"""The PDF stage with a real TeX engine: a good article builds and reads back, planted faults are caught.

Each compile takes well under a second. In CI (CI set) a missing latexmk, pdflatex or pdftotext fails the
tests; elsewhere they are skipped with the reason.
"""
import os

import pytest
from helpers import require_latex

from symbackprop.model.errors import SpecError
from symbackprop.writeup.pdf import (
    INSTALL_HINT,
    PDFLATEX,
    LatexError,
    LatexLog,
    NoEngine,
    compile_pdf,
    find_engine,
    parse_log,
    pdf_text,
)

# pdfTeX's default glyph-name table gives U+2206 INCREMENT for \Delta, U+00B5 MICRO SIGN for \mu,
# U+2126 OHM SIGN for \Omega, and nothing for cmex's big operators (read as "P", "Q"); these say the
# Greek letter and ∑, ∏ instead. Guarded, so that xelatex or lualatex still read the preamble.
GREEK_TO_UNICODE = r"""\ifdefined\pdfglyphtounicode
  \pdfglyphtounicode{Delta}{0394}\pdfglyphtounicode{Omega}{03A9}\pdfglyphtounicode{mu}{03BC}
  \pdfglyphtounicode{summationtext}{2211}\pdfglyphtounicode{summationdisplay}{2211}
  \pdfglyphtounicode{producttext}{220F}\pdfglyphtounicode{productdisplay}{220F}
\fi
"""


@pytest.fixture
def engine():
    return require_latex()


def article(body: str, preamble: str = "") -> str:
    """A one-page article; without a preamble the body starts on line 4 (planted faults have known lines)."""
    return f"\\documentclass{{article}}\n\\usepackage{{amsmath}}\n{preamble}\\begin{{document}}\n{body}\n\\end{{document}}\n"


GREEK = "$\\delta\\epsilon\\varepsilon\\theta\\sigma\\Psi\\lambda\\partial\\Delta\\mu\\Omega\\nabla$\n\n$\\sum_i \\prod_j$"


def test_greek_article_builds_and_reads_back(engine, tmp_path):
    body = ("\\section{Output layer}\\label{sec:out}\n"
            "The error signal is $\\delta^{l} = \\partial E / \\partial Z^{l}$, see Section~\\ref{sec:out}.")
    pdf = tmp_path / "out" / "derivation.pdf"
    pdf.parent.mkdir()
    log = compile_pdf(article(body), pdf, engine=engine)
    assert log == LatexLog() and log.clean
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert "The error signal is δ l = ∂E/∂Z l , see Section 1." in pdf_text(pdf)
    assert os.listdir(pdf.parent) == ["derivation.pdf"]          # no temporary file left beside it


@pytest.mark.parametrize(("preamble", "letters", "operators"), [
    ("", "δϵεθσΨλ∂\u2206\u00b5\u2126∇", "P Q"),                 # the defaults, pinned: what a reader copies
    (GREEK_TO_UNICODE, "δϵεθσΨλ∂ΔμΩ∇", "∑ ∏"),
])
def test_greek_letters_pdftotext_reads(engine, tmp_path, preamble, letters, operators):
    compile_pdf(article(GREEK, preamble), tmp_path / "g.pdf", engine=engine)
    lines = pdf_text(tmp_path / "g.pdf").splitlines()
    assert letters in lines and operators in lines


def test_pdflatex_alone_runs_twice_for_references(engine, tmp_path):
    log = compile_pdf(article("\\section{A}\\label{a} See~\\ref{a}."), tmp_path / "a.pdf", engine=PDFLATEX)
    assert log.clean
    assert "See 1." in pdf_text(tmp_path / "a.pdf")


@pytest.mark.parametrize(("program", "before"), [("latexmk", None), ("latexmk", b"the previous PDF"),
                                                ("pdflatex", b"the previous PDF")])
def test_undefined_control_sequence_raises_and_writes_nothing(engine, tmp_path, program, before):
    pdf = tmp_path / "derivation.pdf"
    if before is not None:
        pdf.write_bytes(before)
    with pytest.raises(LatexError) as caught:
        compile_pdf(article("Hello\n\\foo{} bar"), pdf, engine=engine if program == "latexmk" else PDFLATEX)
    assert str(caught.value) == f"{program} failed on derivation.tex: ! Undefined control sequence. at line 5"
    assert caught.value.log_lines == ("./derivation.tex:5: Undefined control sequence.", "l.5 \\foo", "        {} bar")
    assert (pdf.read_bytes() if pdf.exists() else None) == before
    assert os.listdir(tmp_path) == ([] if before is None else ["derivation.pdf"])


def test_undefined_reference_is_reported(engine, tmp_path):
    log = compile_pdf(article("See \\ref{nope}."), tmp_path / "r.pdf", engine=engine)
    assert log.undefined == ("LaTeX Warning: Reference `nope' on page 1 undefined on input line 4.",
                             "LaTeX Warning: There were undefined references.")
    assert not log.errors and not log.overfull and not log.clean
    assert (tmp_path / "r.pdf").exists()                          # a warning, not a failure


def test_overfull_box_is_measured(engine, tmp_path):
    # 20 cm = 569.05511 pt in a 345 pt text width
    log = compile_pdf(article("\\noindent\\hbox{\\rule{20cm}{1pt}}"), tmp_path / "o.pdf", engine=engine)
    assert log.overfull == ((224.05511, "Overfull \\hbox (224.05511pt too wide) in paragraph at lines 4--5"),)
    assert not log.errors and not log.undefined


def test_endless_loop_times_out(engine, tmp_path):
    with pytest.raises(LatexError, match=r"^latexmk timed out after 1 s on derivation.tex$"):
        compile_pdf(article("\\def\\x{\\x}\\x"), tmp_path / "t.pdf", engine=engine, timeout=1)
    assert not (tmp_path / "t.pdf").exists()


def test_no_engine_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_engine() is None
    with pytest.raises(NoEngine) as caught:
        compile_pdf(article("x"), tmp_path / "x.pdf")
    assert str(caught.value) == f"no LaTeX engine found (latexmk or pdflatex): {INSTALL_HINT}"
    assert "apt-get install texlive-latex-base texlive-latex-recommended latexmk" in INSTALL_HINT
    with pytest.raises(NoEngine, match="pdftotext not found: install poppler"):
        pdf_text(tmp_path / "x.pdf")
    assert os.listdir(tmp_path) == []


def test_jobname_must_be_a_plain_file_name(tmp_path):
    with pytest.raises(SpecError, match=r"^jobname '\.\./x': use letters, digits, '_' and '-' only$"):
        compile_pdf(article("x"), tmp_path / "x.pdf", jobname="../x")


# parse_log on log text as pdfTeX writes it (lines cut at 79 characters).

def log(*lines: str) -> str:
    return "\n".join(lines) + "\n"


ERROR_LOG = log(
    "(./derivation.tex",
    "! Undefined control sequence.",
    "<recently read> \\foo ",
    " " * 21,
    "l.42 \\section{$\\foo$}",
    " " * 21,
    "Here is how much of TeX's memory you used:",
    "!  ==> Fatal error occurred, no output PDF file produced!",
)

FILE_LINE_LOG = log(
    "! LaTeX Error: File `nopekg.sty' not found.",
    "",
    "Type X to quit or <RETURN> to proceed,",
    "or enter new name. (Default extension: sty)",
    "",
    "Enter file name: ",
    "./derivation.tex:3: Emergency stop.",
    "<read *> ",
    " " * 9,
    "l.3 \\begin",
    "          {document}^^M",
    "./derivation.tex:3:  ==> Fatal error occurred, no output PDF file produced!",
)

WARNINGS_LOG = log(
    "LaTeX Warning: Reference `nope-a-very-long-label-name-that-should-wrap-the-log-",   # 79 characters
    "line-somewhere-here' on page 1 undefined on input line 5.",
    "",
    "Overfull \\hbox (412.31335pt too wide) in paragraph at lines 4--7",
    "[]\\OT1/cmr/m/n/10 Hello $\\OML/cmm/m/it/10 ^^N$ \\OT1/cmr/m/n/10 here is some tra",
    "il-ing text See []. [] ",
    "",
    "Overfull \\vbox (3.0pt too high) has occurred while \\output is active []",
    "",
    "Package hyperref Warning: Token not allowed in a PDF string (Unicode):",
    "(hyperref)                removing `math shift' on input line 5.",
    "",
    "LaTeX Warning: Citation `knuth84' on page 2 undefined on input line 9.",
    "",
    "LaTeX Warning: Label(s) may have changed. Rerun to get cross-references",
    "               right.",
    "",
    "LaTeX Warning: There were undefined references.",
)


def test_parse_log_error_with_context():
    assert parse_log(ERROR_LOG) == LatexLog(errors=("! Undefined control sequence.\n<recently read> \\foo\nl.42 \\section{$\\foo$}",))


def test_parse_log_file_line_errors():
    assert parse_log(FILE_LINE_LOG).errors == (
        "! LaTeX Error: File `nopekg.sty' not found.",            # help text, no `l.<n>`: the line alone
        "./derivation.tex:3: Emergency stop.\n<read *>\nl.3 \\begin\n          {document}^^M",
    )


def test_parse_log_warnings_wrapped_and_continued():
    assert parse_log(WARNINGS_LOG) == LatexLog(
        undefined=(
            "LaTeX Warning: Reference `nope-a-very-long-label-name-that-should-wrap-the-log-line-somewhere-here' on page 1 undefined on input line 5.",
            "LaTeX Warning: Citation `knuth84' on page 2 undefined on input line 9.",
            "LaTeX Warning: There were undefined references.",
        ),
        overfull=(
            (412.31335, "Overfull \\hbox (412.31335pt too wide) in paragraph at lines 4--7"),
            (3.0, "Overfull \\vbox (3.0pt too high) has occurred while \\output is active []"),
        ),
        warnings=(
            "Package hyperref Warning: Token not allowed in a PDF string (Unicode): removing `math shift' on input line 5.",
            "LaTeX Warning: Label(s) may have changed. Rerun to get cross-references right.",
        ),
    )


def test_parse_log_of_nothing_is_clean():
    assert parse_log("") == LatexLog() and LatexLog().clean
