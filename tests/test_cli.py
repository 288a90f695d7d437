"""The installed console script: table, --json, exit codes 0 / 1 / 2, one-line errors."""
import dataclasses
import json
import shutil
import subprocess
import sys

import pytest

from symbackprop import cli
from symbackprop.delta import BACKPROP

SCRIPT = shutil.which("symbackprop")


def run(*args, cwd=None):
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_console_script_is_installed():
    assert SCRIPT, "pip install . must put `symbackprop` on PATH"


def test_verify_default_network_table():
    out = run("verify")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "symbackprop verify: network 2-3-1, sigmoid, mse, batch m = 2 (notation matrix)"
    assert lines[2].split() == ["W1[1,1]", "proved", "exact:", "induction", "over", "layers"]
    assert lines[-1].startswith("13 parameters: 13 proved, 0 numeric, 0 failed")


def test_python_dash_m_runs_the_same_command():
    out = subprocess.run([sys.executable, "-m", "symbackprop", "verify", "--json"], capture_output=True, text=True)
    assert out.returncode == 0 and json.loads(out.stdout)["ok"] is True


def test_verify_json_in_a_notation():
    out = run("verify", "--preset", "theta", "--sizes", "2,2,1", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["network"]["loss"] == "bce" and data["notation"] == "theta"
    shown = {p["name"]: p["display"] for p in data["parameters"]}
    assert shown["W1[2,1]"] == "θ(1)[2,1]" and shown["b2[1]"] == "θ(2)[1,0]"
    assert all(p["status"] == "proved" for p in data["parameters"])
    assert len(data["seed_equations"]) == 15 and all(r["status"] == "proved" for r in data["seed_equations"])


def test_a_preset_also_checks_its_seeds_own_equations():
    out = run("verify", "--preset", "ufldl")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == ("seed 002 (ufldl): 21 of its 21 equations, written in its own symbols, "
                                           "hold against direct differentiation")


def test_options_reach_the_network():
    out = run("verify", "--sizes", "3,2,3", "--activation", "tanh,softmax", "--loss", "cce", "--batch", "1",
              "--weight-decay", "lam", "--json")
    assert out.returncode == 0, out.stderr
    net = json.loads(out.stdout)["network"]
    assert net == {"sizes": [3, 2, 3], "activations": ["tanh", "softmax"], "loss": "cce", "batch": 1,
                   "weight_decay": "lam"}


@pytest.mark.parametrize("args, message", [
    (["verify", "--sizes", "2,x,1"], "--sizes takes comma-separated positive integers"),
    (["verify", "--sizes", "2,0,1"], "every layer width must be a positive integer"),
    (["verify", "--activation", "swish"], "unknown activation 'swish'"),
    (["verify", "--loss", "cce"], "cce needs a softmax output layer"),
    (["verify", "--batch", "0"], "batch must be a positive integer"),
    (["verify", "--notation", "greek"], "invalid choice: 'greek'"),
    (["verify", "--weight-decay", "__import__('os').system('touch PWNED')"], "plain symbol name"),
    (["verify", "--bogus"], "unrecognized arguments: --bogus"),
    ([], "the following arguments are required: command"),
])
def test_bad_input_exits_2_with_one_line(args, message, tmp_path):
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and message in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "PWNED").exists()


def test_failed_verification_exits_1_with_a_counterexample(capsys):
    wrong = dataclasses.replace(BACKPROP, output=lambda fp: fp.A[fp.net.depth] - fp.Y)
    code = cli.main(["verify"], rules=wrong)
    out = capsys.readouterr().out
    assert code == 1
    assert "failed" in out and "direct" in out and "!= closed form" in out
    assert "0 proved" in out.splitlines()[-1]


def test_progress_is_shown_when_work_turns_slow_then_every_tenth():
    import io
    stream = io.StringIO()
    progress = cli.Progress(stream, after=0.0)
    for done in range(1, 101):
        progress(done, 100)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11 and lines[0].startswith("verifying: 1/100") and lines[-1].startswith("verifying: 100/100 equations (100%")
    quiet = io.StringIO()
    slow_to_start = cli.Progress(quiet, after=3600.0)
    slow_to_start(50, 100)
    assert quiet.getvalue() == ""


def test_a_closed_pipe_is_not_a_traceback():
    # more than a pipe's 64 KiB of JSON, so the writer really meets the closed end
    with subprocess.Popen([SCRIPT, "verify", "--sizes", "4,8,8,3", "--batch", "4", "--json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout.readline() == "{\n"
        process.stdout.close()                     # as `| head -1` does
        assert process.wait(timeout=300) == 0
        assert "Traceback" not in process.stderr.read()


def test_counterexample_is_written_in_the_notation(capsys):
    wrong = dataclasses.replace(BACKPROP, output=lambda fp: fp.A[fp.net.depth] - fp.Y)
    assert cli.main(["verify", "--notation", "theta"], rules=wrong) == 1
    out = capsys.readouterr().out
    assert "at θ(1)[1,1]=" in out and "W1_1_1" not in out


def test_failures_are_listed_briefly_and_counted(capsys):
    wrong = dataclasses.replace(BACKPROP, output=lambda fp: fp.A[fp.net.depth] - fp.Y)
    assert cli.main(["verify", "--sizes", "3,4,2"], rules=wrong) == 1
    lines = capsys.readouterr().out.splitlines()
    shown = [line for line in lines if "!= closed form" in line]
    assert len(shown) == cli.SHOWN_FAILURES
    assert lines[-2].startswith("  … and ") and lines[-2].endswith("more failures (all of them with --json)")
    assert "0 proved, 0 numeric, 26 failed; 50 equations in the proof, 4 failed" in lines[-1]


def test_a_failed_equation_outside_the_parameters_still_shows_in_the_summary(capsys, monkeypatch):
    """A wrong short form fails its own step only: the summary and exit code both say so."""
    from symbackprop.losses import LOSSES
    wrong = dataclasses.replace(LOSSES["cce"].short_forms["softmax"], formula=lambda a, y, i, m: a[i] - y[i])
    monkeypatch.setitem(LOSSES, "cce", dataclasses.replace(LOSSES["cce"], short_forms={"softmax": wrong}))
    code = cli.main(["verify", "--sizes", "2,3", "--activation", "softmax", "--loss", "cce"])
    last = capsys.readouterr().out.splitlines()[-1]
    assert code == 1 and "9 proved, 0 numeric, 0 failed" in last and "equations in the proof, 6 failed" in last


def test_a_preset_says_when_its_seed_does_not_apply():
    out = run("verify", "--preset", "theta", "--loss", "mse")
    assert out.returncode == 0
    assert out.stdout.splitlines()[-1] == ("seed 001 (theta): its equations are for loss bce, activations sigmoid; "
                                           "not checked on this network")
