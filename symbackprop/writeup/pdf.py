r"""The last stage: a LaTeX source becomes a PDF, built by a real TeX engine, and its log is checked.

`compile_pdf` builds in a fresh temporary folder with latexmk (or pdflatex, run twice), shell escape off,
and puts the PDF at its destination only when the build succeeded, so a failure never leaves a
half-written file. It returns the parsed log (`LatexLog`: errors, undefined references, overfull boxes,
other warnings); a failed build raises `LatexError` with a one-line summary and the log lines that matter.
`pdf_text` reads the text back with pdftotext, for tests that check what a reader sees.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..model.errors import SpecError

INSTALL_HINT = "install TeX Live, e.g. `apt-get install texlive-latex-base texlive-latex-recommended latexmk`"
PDFTOTEXT_HINT = "install poppler, e.g. `apt-get install poppler-utils`"
_FLAGS = ["-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
# -norc: a user's ~/.latexmkrc must not change the output folder or the engine.
LATEXMK = ["latexmk", "-norc", "-pdf", *_FLAGS, "-pdflatex=pdflatex -no-shell-escape %O %S"]
PDFLATEX = ["pdflatex", *_FLAGS, "-no-shell-escape"]
_JOBNAME = re.compile(r"[A-Za-z0-9_-]+\Z")

_WRAP = 79                       # pdfTeX's max_print_line: longer log lines are cut at exactly this width
_FILE_LINE_ERROR = re.compile(r"(\S+?):(\d+): (?!\s*==>)(.*)")   # not "==> Fatal error occurred"
_CONTEXT_LINE = re.compile(r"l\.(\d+)\b")
_FATAL = "!  ==> Fatal error occurred"                       # the "! " form of the same closing line
_HELP = re.compile(r"See the LaTeX manual|Type  H <return>| \.\.\.\s*\Z")   # LaTeX's boilerplate under an error
_OVERFULL = re.compile(r"Overfull \\[hv]box \((\d+(?:\.\d*)?)pt too (?:wide|high)\)")
_WARNING = re.compile(r"(?:LaTeX|LaTeX Font|pdfTeX|(?:Package|Class) \S+) Warning: ")
_CONTINUATION = re.compile(r"(?:\([\w.@-]+\)| {4,})\s*(?=\S)")
_UNDEFINED = re.compile(r"(?:Reference|Citation) .* undefined|There were undefined")


class LatexError(SpecError):
    """The engine failed: a one-line message, and the log lines that say why in `log_lines`."""

    def __init__(self, message: str, log_lines: Sequence[str] = ()):
        super().__init__(message)
        self.log_lines = tuple(log_lines)


class NoEngine(SpecError):
    """A tool the PDF stage needs (latexmk or pdflatex, pdftotext) is not on PATH."""


@dataclass(frozen=True)
class LatexLog:
    r"""What a TeX log reports: each entry is the log's own text, wrapped lines joined.

    >>> parse_log("Overfull \\hbox (12.5pt too wide) in paragraph at lines 3--4\n").overfull
    ((12.5, 'Overfull \\hbox (12.5pt too wide) in paragraph at lines 3--4'),)
    """

    errors: tuple[str, ...] = ()                   # "! message" (or "file:line: message") and its context lines
    undefined: tuple[str, ...] = ()                # undefined references and citations
    overfull: tuple[tuple[float, str], ...] = ()   # (points too wide or high, the log line)
    warnings: tuple[str, ...] = ()                 # every other warning

    @property
    def clean(self) -> bool:
        """No errors, no undefined references, no overfull boxes."""
        return not (self.errors or self.undefined or self.overfull)


def find_engine() -> list[str] | None:
    """The command that builds a PDF: latexmk if on PATH, else pdflatex (run twice), else None."""
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return list(LATEXMK)
    if shutil.which("pdflatex"):
        return list(PDFLATEX)
    return None


def parse_log(text: str) -> LatexLog:
    """Errors, undefined references, overfull boxes and other warnings of a TeX .log text."""
    lines = _unwrap(text.splitlines())
    found: dict[str, list] = {"errors": [], "undefined": [], "overfull": [], "warnings": []}
    for i, line in enumerate(lines):
        if _is_error(line):
            found["errors"].append("\n".join(_error_context(lines, i)))
        elif m := _OVERFULL.match(line):
            found["overfull"].append((float(m[1]), line))
        elif _WARNING.match(line):
            warning = _join_warning(lines, i)
            found["undefined" if _UNDEFINED.search(warning) else "warnings"].append(warning)
    return LatexLog(**{key: tuple(value) for key, value in found.items()})


def _unwrap(lines: list[str]) -> list[str]:
    """Join the lines pdfTeX cut at max_print_line (a line of exactly 79 characters goes on)."""
    out: list[str] = []
    carry = ""
    for line in lines:
        if len(line) == _WRAP:
            carry += line
        else:
            out.append(carry + line)
            carry = ""
    return out + [carry] if carry else out


def _is_error(line: str) -> bool:
    return (line.startswith("! ") and not line.startswith(_FATAL)) or bool(_FILE_LINE_ERROR.match(line))


def _error_context(lines: list[str], i: int) -> list[str]:
    """The error line, then what TeX shows of where it was (up to the `l.<n>` line and its rest)."""
    context = [lines[i]]
    for j in range(i + 1, min(i + 8, len(lines))):
        line = lines[j].rstrip()
        if _is_error(line) or line.startswith("Here is how much"):
            break
        if line.strip() and not _HELP.match(line):
            context.append(line)
        if _CONTEXT_LINE.match(lines[j - 1]):        # the rest of the source line after the error point
            return context
    return [lines[i]]                                # no `l.<n>`: the following lines are help text


def _join_warning(lines: list[str], i: int) -> str:
    """A warning with its \\MessageBreak lines ("(hyperref)   ..." or an indent) joined by spaces."""
    parts = [lines[i].rstrip()]
    for line in lines[i + 1:]:
        m = _CONTINUATION.match(line)
        if not m:
            break
        parts.append(line[m.end():].rstrip())
    return " ".join(parts)


def compile_pdf(tex_source: str, pdf_path: Path, *, jobname: str = "derivation",
                engine: list[str] | None = None, timeout: float = 120) -> LatexLog:
    """Build `tex_source` into `pdf_path` (replaced only on success) and return the parsed log."""
    if not _JOBNAME.match(jobname):
        raise SpecError(f"jobname {jobname!r}: use letters, digits, '_' and '-' only")
    command = engine or find_engine()
    if command is None:
        raise NoEngine(f"no LaTeX engine found (latexmk or pdflatex): {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="symbackprop-tex-") as folder:
        build = Path(folder)
        (build / f"{jobname}.tex").write_text(tex_source, encoding="utf-8")
        _build(command, build, jobname, timeout)
        _install(build / f"{jobname}.pdf", Path(pdf_path))
        return parse_log(_read_log(build / f"{jobname}.log"))


def _build(command: list[str], build: Path, jobname: str, timeout: float) -> None:
    """Run the engine (pdflatex twice, for references); raise LatexError unless a PDF came out."""
    tex, program = f"{jobname}.tex", Path(command[0]).name
    deadline = time.monotonic() + timeout
    for _ in range(1 if program == "latexmk" else 2):
        try:
            status, output = _run([*command, tex], build, deadline - time.monotonic())
        except subprocess.TimeoutExpired:
            raise LatexError(f"{program} timed out after {timeout:g} s on {tex}",
                             _read_log(build / f"{jobname}.log").splitlines()[-8:]) from None
        if status != 0 or not (build / f"{jobname}.pdf").is_file():
            raise _failure(program, tex, status, output, _read_log(build / f"{jobname}.log"))


def _run(argv: list[str], cwd: Path, timeout: float) -> tuple[int, str]:
    """One engine run in its own process group, so that a timeout, or an interruption of ours (Ctrl-C, SIGTERM,
    SIGHUP), also ends latexmk's pdflatex: none outlives us or writes into a folder being removed."""
    with subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, start_new_session=True) as process:
        try:
            output, _ = process.communicate(timeout=max(timeout, 0))
        except BaseException:
            if hasattr(os, "killpg"):
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            process.kill()
            process.communicate()
            raise
    return process.returncode, output.decode("utf-8", "replace")


def _failure(program: str, tex: str, status: int, output: str, log_text: str) -> LatexError:
    """LatexError from the log's first error, or from the end of the engine's output if it has none."""
    errors = parse_log(log_text).errors
    if not errors:
        what = f"exit status {status}" if status else "no PDF produced"
        return LatexError(f"{program} failed on {tex} ({what})", output.splitlines()[-10:])
    lines = [line for error in errors for line in error.splitlines()]
    return LatexError(f"{program} failed on {tex}: {_summary(errors[0], tex)}", lines)


def _summary(error: str, tex: str) -> str:
    """'! Undefined control sequence. at line 42' from either form of a TeX error."""
    first = error.splitlines()[0]
    if m := _FILE_LINE_ERROR.match(first):
        where = "line" if Path(m[1]).name == tex else f"{m[1]} line"
        return f"! {m[3]} at {where} {m[2]}"
    at = next((m[1] for line in error.splitlines() if (m := _CONTEXT_LINE.match(line))), None)
    return f"{first} at line {at}" if at else first


def _read_log(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace") if path.is_file() else ""


def _install(built: Path, pdf_path: Path) -> None:
    """Copy next to `pdf_path`, then rename over it: readers see the old PDF or the whole new one."""
    partial = pdf_path.with_name(f".{pdf_path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with built.open("rb") as source, partial.open("xb") as target:
            shutil.copyfileobj(source, target)
        os.replace(partial, pdf_path)
    finally:
        partial.unlink(missing_ok=True)


def pdf_text(pdf_path: Path) -> str:
    """The text of a PDF as pdftotext reads it (UTF-8, reading order)."""
    if shutil.which("pdftotext") is None:
        raise NoEngine(f"pdftotext not found: {PDFTOTEXT_HINT}")
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"], stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=60, check=False)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SpecError(f"pdftotext failed on {pdf_path}: {message[0] if message else result.returncode}")
    return result.stdout.decode("utf-8")
