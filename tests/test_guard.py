"""The command line's one guard: whatever goes wrong is one line on stderr and an exit status that says what kind of
stop it was (0 all good, 1 a check failed, 2 bad input or a file, 3 an internal error, 128 + n a signal), never a
traceback unless --debug; signals stop cleanly, killing the LaTeX child and removing its temporary folder."""
import errno
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from helpers import require_latex

from symbackprop import cli

SCRIPT = shutil.which("symbackprop")


def run(*args, stdin=None, **options):
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=300, input=stdin, **options)


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


# --- the guard ---------------------------------------------------------------------------------------------------

def test_an_internal_error_is_one_line_and_exit_3_and_debug_shows_the_traceback(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("planted")

    monkeypatch.setattr(cli, "verify", broken)
    assert cli.main(["verify", "--sizes", "1,1"]) == cli.INTERNAL == 3
    line = one_line(capsys.readouterr().err)
    assert line.startswith("symbackprop: internal error: RuntimeError: planted") and "--debug" in line
    assert cli.main(["verify", "--sizes", "1,1", "--debug"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("symbackprop: internal error")


def test_a_full_disk_on_stdout_is_one_line_and_exit_2():
    with open("/dev/full", "w") as full:
        out = subprocess.run([SCRIPT, "verify", "--sizes", "1,1"], stdout=full, stderr=subprocess.PIPE, text=True,
                             timeout=300)
    assert out.returncode == 2
    assert one_line(out.stderr) == "symbackprop: error: cannot write the output: No space left on device"


def test_control_characters_of_user_text_are_escaped_in_messages():
    out = run("check", "delta2 = A2 \x1b]0;owned\x07 + Y")
    assert out.returncode == 2
    line = one_line(out.stderr)
    assert "\x1b" not in line and "\x07" not in line and "\\x1b]0;owned\\x07" in line


# --- reading files, bounded ---------------------------------------------------------------------------------------

def test_claims_from_a_closed_stdin_are_one_line_and_exit_2():
    out = subprocess.run(["sh", "-c", 'exec "$0" check --file - <&-', SCRIPT], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 2
    assert one_line(out.stderr) == ("symbackprop: error: cannot read claims from stdin: it is closed (give them with "
                                    "--file FILE)")


def test_an_endless_claims_file_is_refused_by_its_size():
    start = time.perf_counter()
    out = run("check", "--file", "/dev/zero")
    assert out.returncode == 2 and time.perf_counter() - start < 60
    assert one_line(out.stderr) == ("symbackprop: error: cannot read claims from /dev/zero: more than 1,000,000 bytes "
                                    "(a claims file holds at most 1,000,000)")


def test_a_claims_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "claims.txt"
    path.write_bytes("\ufeffdelta2 = (A2 - Y) * g2'(Z2) / m\n".encode())
    out = run("check", "--file", str(path))
    assert out.returncode == 0, out.stderr


# --- derive cannot write -----------------------------------------------------------------------------------------------

def test_an_output_path_taken_by_a_folder_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "derivation.tex").mkdir()
    out = run("derive", "-o", str(tmp_path), "--format", "tex,md")
    assert out.returncode == 2
    assert one_line(out.stderr) == f"symbackprop: error: cannot write {tmp_path / 'derivation.tex'}: Is a directory"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["derivation.tex"]          # no partial file


def test_a_full_disk_while_writing_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    from symbackprop.writeup import document

    def full(path, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(document, "write_atomic", full)
    assert cli.main(["derive", "--sizes", "1,1", "-o", str(tmp_path), "--format", "md"]) == 2
    assert one_line(capsys.readouterr().err) == (f"symbackprop: error: cannot write {tmp_path / 'derivation.md'}: "
                                                  "No space left on device")
    assert list(tmp_path.iterdir()) == []


# --- signals ---------------------------------------------------------------------------------------------------------

def _children_in(folder: pathlib.Path) -> list[str]:
    """Processes working in ``folder`` (latexmk and pdflatex run in their build folder)."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        try:
            if str(folder) in os.readlink(proc / "cwd"):
                found.append(proc.name)
        except OSError:
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum, status, says", [
    (signal.SIGTERM, 143, "terminated (SIGTERM)"),
    (signal.SIGHUP, 129, "hung up (SIGHUP)"),
    (signal.SIGINT, 130, "interrupted (SIGINT)"),
])
def test_a_signal_during_the_pdf_build_stops_cleanly(tmp_path, signum, status, says):
    require_latex()
    build = tmp_path / "tmp"
    build.mkdir()
    process = subprocess.Popen([SCRIPT, "derive", "--sizes", "1,1", "-o", str(tmp_path / "out")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TMPDIR": str(build)})
    deadline = time.monotonic() + 120
    while not (list(build.glob("symbackprop-tex-*")) and _children_in(build)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _children_in(build), "the LaTeX build never started"
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status
    assert one_line(err) == f"symbackprop: {says}; stopped"
    time.sleep(0.2)
    assert list(build.iterdir()) == [] and _children_in(build) == []


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.6])
def test_ctrl_c_in_the_first_fraction_of_a_second_is_one_line(delay):
    """(Before Python has started, ~20 ms, and after the work is done and written, SIGINT's default action ends it.)"""
    process = subprocess.Popen([SCRIPT, "verify"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    if "13 parameters:" in out:          # finished first: nothing to see
        return
    assert process.returncode == 130, err
    assert one_line(err) == "symbackprop: interrupted (SIGINT); stopped"


def test_ctrl_c_while_the_entry_point_loads_is_never_a_traceback_from_our_code():
    """A sweep of the first 25 ms, where Python itself starts and then the entry point imports its signal module
    (a Ctrl-C there gave a KeyboardInterrupt traceback through __main__.py and signals.py). Python's own start-up
    (its `site` and frozen modules, before any of our code runs) is out of our hands: there the signal's default
    action or Python's own report applies, and neither names our command's code. (The import of the package and
    of the entry point's module, a few dict literals and definitions, runs unguarded for some 20 µs; on a loaded
    machine a signal can land there, in a module-level frame. The signal module's import and everything from
    main() on are guarded.)"""
    seen = set()
    for k in range(26):
        process = subprocess.Popen([SCRIPT, "verify"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(k / 1000)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert not re.search(r'__main__\.py", line \d+, in main|signals\.py|cli\.py', err), err
        if process.returncode == 130:
            assert one_line(err) == "symbackprop: interrupted (SIGINT); stopped"
            seen.add("ours")
        else:                   # before main(): the default action (-2), or Python's report from a module's import
            frames = re.findall(r'File "([^"]+)", line \d+, in (\S+)', err)
            assert process.returncode in (-signal.SIGINT, 1, 0), err      # 0: Python's start-up swallowed it
            # our code appears only in module-level frames; Python's own (frozen) start-up and import hooks
            # installed by other packages (setuptools' _distutils_hack.find_spec) are not ours
            assert all(f == "<module>" or path.startswith("<frozen") or "/symbackprop/" not in path
                       for path, f in frames), err
    assert "ours" in seen


# --- .npz files: shapes from the headers, before any data is decompressed ------------------------------------------

def _npz_claiming(path: pathlib.Path, members: dict[str, tuple]) -> None:
    """An .npz whose members' headers claim these shapes, with (almost) no data: what a zip bomb declares."""
    import io
    import zipfile

    import numpy as np
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, shape in members.items():
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": shape})
            archive.writestr(f"{name}.npy", header.getvalue() + bytes(16))


@pytest.mark.parametrize("members, says", [
    ({"W1": (10 ** 9,), "b1": (1,)}, "--params {path!r}: W1 has shape (1000000000,); expected (1, 1)"),
    ({"W1": (1, 1), "b1": (1,), "huge": (10 ** 9,)}, "--params {path!r} must hold exactly W1, b1: unexpected huge"),
])
def test_an_npz_is_checked_by_its_headers_before_it_is_read(tmp_path, monkeypatch, capsys, members, says):
    path = tmp_path / "params.npz"
    _npz_claiming(path, members)

    def never(*args, **kwargs):
        raise AssertionError("decompressed before the headers were checked")

    monkeypatch.setattr(cli.np, "load", never)
    assert cli.main(["gradcheck", "--sizes", "1,1", "--params", str(path)]) == 2
    assert one_line(capsys.readouterr().err) == "symbackprop: error: " + says.format(path=str(path))


def test_npz_data_over_the_size_limit_is_refused_by_its_header(tmp_path, capsys):
    path = tmp_path / "data.npz"
    _npz_claiming(path, {"X": (1, cli.MAX_NUMBERS + 1), "Y": (1, 1)})
    assert cli.main(["gradcheck", "--sizes", "1,1", "--data", str(path)]) == 2
    assert f"X has shape (1, {cli.MAX_NUMBERS + 1}), 100,000,001 numbers; an array holds at most 100,000,000" in \
        capsys.readouterr().err


# --- deep networks: inside the limits every command works, past them one line -----------------------------------------

DEEP = ",".join(["1"] * 101)          # 100 one-unit layers: LIMITS["layers"]
TOO_DEEP = ",".join(["1"] * 1001)


@pytest.mark.parametrize("command", [["verify"], ["explain", "W1[1,1]"], ["check", "delta1 = W2.T @ delta2 * g1'(Z1)"],
                                     ["derive", "--format", "md"]])
def test_deep_networks_work_inside_the_layer_limit_and_are_refused_past_it(tmp_path, command):
    out = run(*command, "--sizes", DEEP, "--batch", "1", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    out = run(*command, "--sizes", TOO_DEEP, "--batch", "1", cwd=tmp_path)
    assert out.returncode == 2
    assert one_line(out.stderr) == ("symbackprop: error: symbackprop derives for small networks: at most 100 layers; "
                                    "this network has 1000")


# --- progress on stderr: on a terminal or with --progress, for every command that can run past a second -----------

@pytest.mark.parametrize("command, says", [
    (["verify", "--sizes", "2,2,1"], "verifying: 21/21 equations (100%"),
    (["check", "delta2 = (A2 - Y) * g2'(Z2) / m", "dE/dW2 = delta2 @ A1.T"], "checking: 2/2 claims (100%"),
    (["gradcheck", "--sizes", "2,2,1", "--activation", "relu"], "comparing: "),
    (["derive", "--sizes", "1,1", "--format", "md"], "writing up: 6/6 steps (100%"),
])
def test_progress_shows_with_the_flag_and_not_without_it_off_a_terminal(command, says, tmp_path, monkeypatch, capsys):
    made = cli.Progress.for_args.__func__
    monkeypatch.setattr(cli.Progress, "for_args", classmethod(lambda cls, args, **kw: made(cls, args, after=0.0, **kw)))
    monkeypatch.chdir(tmp_path)
    assert cli.main(command) == 0
    assert capsys.readouterr().err == ""                     # stderr is not a terminal here
    assert cli.main([*command, "--progress"]) == 0
    err = capsys.readouterr().err
    assert says in err and err.splitlines()[-1].endswith("s)"), err


def test_derive_says_which_step_of_the_write_up_it_is_in(tmp_path, monkeypatch, capsys):
    """An adversarial run: `derive --sizes 8,16,16,4 --progress` printed one line, at 100%, only when it finished.
    Now each step of the write-up is named as it starts, and a step that runs long says so once a second."""
    made = cli.Progress.for_args.__func__
    monkeypatch.setattr(cli.Progress, "for_args", classmethod(lambda cls, args, **kw: made(cls, args, after=0.0, **kw)))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["derive", "--sizes", "1,1", "--format", "md", "--progress"]) == 0
    lines = capsys.readouterr().err.splitlines()
    for k, step in enumerate(["the numeric comparison", "matrix: checking the general equations",
                              "matrix: checking the seed's displays", "matrix: the worked partial",
                              "matrix: the worked numbers", "matrix: the Markdown"]):
        assert f"writing up ({step}): {k}/6 steps (" in "\n".join(lines), lines
    assert lines[-1].startswith("writing up: 6/6 steps (100%, "), lines      # nothing ticks after the end


# --- the low ones -----------------------------------------------------------------------------------------------------

def test_a_claim_about_a_layer_the_network_lacks_exits_2():
    out = run("check", "delta9 = A2")
    assert out.returncode == 2
    assert one_line(out.stderr) == ("symbackprop: error: 'delta9 = A2': this 2-3-1 network has no layer 9 (its layers "
                                    "are 0..2)")


def test_derive_json_is_json(tmp_path):
    import json
    out = run("derive", "--sizes", "1,1", "--format", "md", "--json", "-o", str(tmp_path))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["files"] == [str(tmp_path / "derivation.md"), str(tmp_path / "derivation.svg")] and report["ok"] is True


def test_latex_log_lines_follow_the_error_line(monkeypatch, capsys, tmp_path):
    from symbackprop.writeup.document import Written

    monkeypatch.setattr(cli, "write", lambda *a, **k: Written(problems=["derivation.pdf not written: boom"],
                                                              log_lines=["! Undefined control sequence.", "l.3 x"]))
    assert cli.main(["derive", "--sizes", "1,1", "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == ["symbackprop: error: derivation.pdf not written: boom",
                                                     "  | ! Undefined control sequence.", "  | l.3 x"]


def test_the_python_api_names_a_wrong_argument_type():
    import numpy as np

    from symbackprop import Network, SpecError, check, derive, explain, gradcheck, verify
    from symbackprop.numeric.arrays import random_data, random_params
    net = Network(sizes=(2, 1), activations="sigmoid", loss="mse", batch=1)
    assert verify(net).ok                                      # a Network is derived, as lambdify and gradcheck do
    for call, says in [(lambda: verify(3), "verify takes a Derivation (derive(Network(...))) or a Network; got int"),
                       (lambda: explain("W1[1,1]", "W1[1,1]"), "explain takes a Derivation"),
                       (lambda: check(derive(net), 3), "a claim is a string"),
                       (lambda: derive((2, 1)), "derive takes a Network")]:
        with pytest.raises(SpecError, match=says.replace("(", r"\(").replace(")", r"\)")):
            call()
    rng = np.random.default_rng(0)
    params, (X, Y) = random_params(net, rng), random_data(net, 3, rng)
    masked = {**params, "W1": np.ma.masked_array(params["W1"], mask=[[True, False]])}
    with pytest.raises(SpecError, match="W1 is a masked array with 1 masked entries"):
        gradcheck(net, masked, X, Y)
    huge = {**params, "W1": np.array([[1e400, 0]], dtype=np.longdouble)}
    with pytest.raises(SpecError, match="W1 contains inf"):      # and no RuntimeWarning (warnings are errors here)
        gradcheck(net, huge, X, Y)
    symbolic = Network(sizes=(2, 1), weight_decay="lam")
    with pytest.raises(SpecError, match="must be a finite number >= 0; got '0.1'"):
        gradcheck(symbolic, random_params(symbolic, rng), X, Y, weight_decay="0.1")


def test_a_title_is_refused_unless_pdflatex_can_set_every_letter_of_it(tmp_path):
    from symbackprop.writeup.document import UNSET
    out = run("derive", "--sizes", "1,1", "--format", "tex", "-o", str(tmp_path), "--title", "Þór Đorđe «notes» ŋ")
    assert out.returncode == 2
    assert one_line(out.stderr).endswith("got 'Þ' (pdflatex cannot set it with the document's fonts)")
    require_latex()
    letters = "".join(chr(c) for c in range(0xA0, 0x250) if chr(c).isprintable() and chr(c) not in UNSET)
    title = " ".join(letters[k:k + 40] for k in range(0, len(letters), 40))
    out = run("derive", "--sizes", "1,1", "--format", "pdf", "-o", str(tmp_path), "--title", title)
    assert out.returncode == 0, out.stderr[-3000:]


def test_central_differences_drowned_in_round_off_are_skipped_with_the_reason_not_failed():
    out = run("gradcheck", "--weight-decay", "1e308")
    assert out.returncode == 0, out.stdout[-2000:]
    assert ("skipped central differences: E is 6.72e+307 here, so central differences carry a round-off of about "
            "ε|E|/h = 2.5e+297, past their absolute tolerance 1e-06") in out.stdout


def test_work_without_a_count_shows_its_seconds_and_stops_showing_them_after():
    import io
    stream = io.StringIO()
    with cli.Progress(stream, after=0.01).ticking("deriving"):
        time.sleep(0.1)
    shown = stream.getvalue()
    time.sleep(0.05)
    assert shown.startswith("deriving: ") and stream.getvalue() == shown
    quiet = io.StringIO()
    with cli.Progress(quiet, after=0.01, enabled=False).ticking("deriving"):
        time.sleep(0.05)
    assert quiet.getvalue() == ""


# --- found by the second adversarial run ------------------------------------------------------------------------------

@pytest.mark.parametrize("claim", [
    "dE/dW1[1,1] = " + "g1(" * 12 + "Z1[1,1]" + ")" * 12,         # 100 characters: 36 s and 3.9 GB before
    "dE/dW1[1,1] = " + "tanh " * 12 + "W1[1,1]",                  # 77 characters: past 60 s before
])
def test_functions_nested_deeply_in_a_claim_are_refused_at_once(claim):
    start = time.perf_counter()
    out = run("check", claim)
    assert out.returncode == 2 and "functions nested 7 deep: a claim nests at most 6" in one_line(out.stderr)
    assert time.perf_counter() - start < 30


def test_functions_nested_in_a_formula_are_bounded():
    from symbackprop import Activation, SpecError
    with pytest.raises(SpecError, match="functions nested more than 4 deep"):
        Activation.from_formula("deep", "sigmoid(" * 14 + "z" + ")" * 14)     # 45 s in verify before
    Activation.from_formula("four", "sigmoid(" * 4 + "z" + ")" * 4)


@pytest.mark.parametrize("shell, message", [
    ("verify >&-", "cannot write the output: standard output is closed"),     # exit 3, an AttributeError, before
    ("verify > /dev/full", "cannot write the output: No space left on device"),
    ("check 'delta9 = A2' 2>/dev/full", None),                                 # exit 1 before: nowhere to say it
    ("explain nope 2>/dev/full", None),
])
def test_a_closed_or_full_stream_is_exit_2(shell, message):
    script = shutil.which("symbackprop")
    out = subprocess.run(f"{script} {shell}", shell=True, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert message is None or one_line(out.stderr) == f"symbackprop: error: {message}"


def test_a_signal_swallowed_by_a_library_still_stops_the_command(monkeypatch):
    """Python ignores an exception raised in a garbage-collector callback (JAX has one): the signal is kept, and
    the command stops at its next step with the signal's status instead of finishing with 0."""
    from symbackprop import signals
    monkeypatch.setattr(signals, "received", signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        cli.Progress(enabled=False)(1, 2)
    assert cli.main(["verify", "--sizes", "1,1"]) == 128 + signal.SIGTERM
