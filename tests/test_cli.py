"""The installed console script: table, --json, exit codes 0 / 1 / 2, one-line errors."""
import dataclasses
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from symbackprop import cli
from symbackprop.symbolic.delta import BACKPROP

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
    (["verify", "--notation", "greek"], "unknown notation 'greek'; allowed: matrix, theta, ufldl, nielsen, ng, goodfellow, bishop, rows, or a file ending in .toml"),
    (["verify", "--weight-decay", "__import__('os').system('touch PWNED')"], "plain symbol name"),
    (["verify", "--bogus"], "unrecognized arguments: --bogus"),
    ([], "choose a command: derive, explain, check, verify or gradcheck"),
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
    from symbackprop.model.losses import LOSSES
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


# ---- gradcheck

def test_gradcheck_default_network_passes_every_comparison():
    out = run("gradcheck")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "symbackprop gradcheck: network 2-3-1, sigmoid, mse, 8 samples, route matrix"
    assert lines[1].split()[:4] == ["reference", "array", "max", "abs"]
    assert "central differences, step sweep (largest |FD − symbolic|):" in lines
    total = int(lines[-1].split()[0])
    assert lines[-1] == f"{total} comparisons: {total} passed, 0 failed" and total >= 20


def test_gradcheck_random_samples_follow_batch_unless_given(capsys):
    assert cli.main(["gradcheck", "--batch", "3", "--sizes", "2,1"]) == 0
    assert ", 3 samples," in capsys.readouterr().out.splitlines()[0]
    assert cli.main(["gradcheck", "--batch", "3", "--samples", "5", "--sizes", "2,1"]) == 0
    assert ", 5 samples," in capsys.readouterr().out.splitlines()[0]


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


def _files(tmp_path, net_args=("--sizes", "3,4,2", "--loss", "bce")):
    from symbackprop.numeric import handwritten
    from symbackprop.numeric.arrays import random_data, random_params
    net = cli.network_from(cli.build_parser().parse_args(["gradcheck", *net_args]))[0]
    rng = np.random.default_rng(1)
    params = random_params(net, rng)
    X, Y = random_data(net, 5, rng)
    grads = handwritten.gradient(net, params, X, Y)
    return net, params, X, Y, grads


def test_gradcheck_reads_params_data_and_your_gradients(tmp_path, capsys):
    net, params, X, Y, grads = _files(tmp_path)
    files = ["--params", _npz(tmp_path / "p.npz", **params), "--data", _npz(tmp_path / "d.npz", X=X, Y=Y)]
    mine = _npz(tmp_path / "g.npz", **grads)
    out = run("gradcheck", "--sizes", "3,4,2", "--loss", "bce", *files, "--against", mine, "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] and "your gradients" in {c["reference"] for c in report["comparisons"]}
    grads["W2"][1, 0] *= 1.001
    slipped = _npz(tmp_path / "g2.npz", **grads)
    code = cli.main(["gradcheck", "--sizes", "3,4,2", "--loss", "bce", *files, "--against", slipped])
    assert code == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.endswith("1 failed (worst: your gradients at W2[2,1])")


def test_gradcheck_with_a_planted_wrong_rule_exits_1(capsys):
    from helpers import planted
    assert cli.main(["gradcheck", "--sizes", "2,3,3", "--activation", "tanh"], rules=planted("missing g' factor")) == 1
    assert "FAIL" in capsys.readouterr().out


@pytest.mark.parametrize("make, message", [
    (lambda t, p, X, Y, g: ["--params", str(t / "none.npz")], "--params: no such file"),
    (lambda t, p, X, Y, g: ["--params", _write(t / "junk.npz", b"not a zip")], "is not a NumPy .npz archive"),
    (lambda t, p, X, Y, g: ["--data", _npz(t / "d.npz", X=X)], "must hold exactly X, Y: missing Y"),
    (lambda t, p, X, Y, g: ["--data", _npz(t / "d.npz", X=X, Y=Y, Z=Y)], "must hold exactly X, Y: unexpected Z"),
    (lambda t, p, X, Y, g: ["--data", _npz(t / "d.npz", X=X.T, Y=Y)],
     "X has shape (5, 3); expected (3, m) = (n_0, m): samples are columns"),
    (lambda t, p, X, Y, g: ["--data", _npz(t / "d.npz", X=X, Y=Y + 2)], "bce needs targets in [0, 1]"),
    (lambda t, p, X, Y, g: ["--params", _npz(t / "p.npz", **{**p, "W1": p["W1"].T})],
     "W1 has shape (3, 4); expected (4, 3) = (n_1, n_0)"),
    (lambda t, p, X, Y, g: ["--params", _npz(t / "p.npz", **{**p, "W3": p["W1"]})], "unexpected W3"),
    (lambda t, p, X, Y, g: ["--params", _npz(t / "p.npz", **{**p, "b2": np.array([np.nan, 0])})],
     "b2 contains nan at index [0]"),
    (lambda t, p, X, Y, g: ["--against", _npz(t / "g.npz", **{k: v for k, v in g.items() if k != "b1"})],
     "--against"),
    (lambda t, p, X, Y, g: ["--params", _npz(t / "obj.npz", W1=np.array([{}], dtype=object))],
     "is not a NumPy .npz archive"),
    (lambda t, p, X, Y, g: ["--weight-decay", "lam"], "gradcheck needs a number for --weight-decay"),
    (lambda t, p, X, Y, g: ["--route", "fast"], "invalid choice: 'fast'"),
    (lambda t, p, X, Y, g: ["--samples", "0"], "--samples: expected a positive integer, got '0'"),
    (lambda t, p, X, Y, g: ["--seed", "-1"], "--seed: expected an integer >= 0, got '-1'"),
    (lambda t, p, X, Y, g: ["--weight-decay", "1" + "0" * 400], "weight_decay must be a finite number >= 0"),
    (lambda t, p, X, Y, g: ["--against", _npz(t / "g.npz", **{**g, "W1": g["W1"].T})],
     "--against '"),
    (lambda t, p, X, Y, g: ["--samples", str(10**12)], "out of memory"),
])
def test_gradcheck_bad_input_exits_2_with_one_line(tmp_path, capsys, make, message):
    net, params, X, Y, grads = _files(tmp_path)
    code = cli.main(["gradcheck", "--sizes", "3,4,2", "--loss", "bce", *make(tmp_path, params, X, Y, grads)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1, err


def _write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)
