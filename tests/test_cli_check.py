"""`symbackprop check`, through the installed console script: exit codes, text, JSON, files, hostile input."""
import json
import os
import shutil
import subprocess

SCRIPT = shutil.which("symbackprop")


def run(*args, stdin=None, cwd=None):
    return subprocess.run([SCRIPT, "check", *args], capture_output=True, text=True, timeout=300, input=stdin,
                          cwd=cwd, env=os.environ)


def test_a_right_claim_exits_0_and_says_proved():
    out = run("delta1 = (W2.T @ delta2) * g1'(Z1)")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "network 2-3-1, generic, mse, batch m = 2; notation matrix"
    assert "  read as: δ¹[i,c] = g¹′(Z¹[i,c])·Σ[k=1..n²](W²[k,i]·δ²[k,c])" in lines
    assert "  proved: all 6 instances hold (exact: expands to 0; g^l generic: for every differentiable activation)" in lines
    assert lines[-1] == "1 claim: 1 hold (1 proved), 0 wrong"


def test_a_wrong_claim_exits_1_with_a_counterexample_and_a_diagnosis():
    out = run("delta2 = (A2 - Y) * g2'(Z2)", "dE/dW2 = delta2 * A1.T")
    assert out.returncode == 1, out.stderr
    text = out.stdout
    assert "  WRONG: 2 of 2 instances fail" in text
    assert "    c=1, i=1: claim " in text and " but truth " in text and " at W¹₁₁=" in text
    assert ("  diagnosis: the claim is m times the truth: the 1/m of the mean over the m samples is missing "
            "(proved)") in text
    assert text.splitlines()[-1] == "2 claims: 1 hold (1 proved), 1 wrong"


def test_json_for_programs():
    out = run("--json", "delta2 = (A2 - Y) / m", "--sizes", "2,3,1", "--activation", "sigmoid")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["ok"] is False and report["notation"] == "matrix"
    claim = report["claims"][0]
    assert claim["status"] == "wrong" and claim["where"] == "claim 1" and claim["failed"] == 2
    assert {d["kind"] for d in claim["diagnoses"]} == {"gprime", "other network"}
    assert set(claim["failures"][0]) == {"instance", "claim", "truth", "point", "reason"}


def test_a_file_in_latex_with_the_notation_of_seed_002(tmp_path):
    claims = tmp_path / "claims.tex"
    claims.write_text("\n".join([
        r"\begin{align}",
        r"\frac{\partial J(W,x,y)}{\partial W^{(l)}_{ij}} &= a_j^{(l)}\epsilon_i^{(l+1)}\\",
        r"\frac{\partial J(W,x,y)}{\partial b^{(l)}_{i}} &= \epsilon_i^{(l+1)}\\",
        r"\epsilon_i^{(l)} & = \epsilon_q^{(l+1)}W^{(l)}_{qi}\sigma'(z_i^{(l)})\\",
        r"\epsilon_i^{(L)} & = (a^{(L)}_i - y_i)\sigma'(z^{(L)}_i)",
        r"\end{align}"]))
    out = run("--file", str(claims), "--notation", "ufldl")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[0] == "network 2-3-1, sigmoid, mse, batch m = 1; notation ufldl"
    assert out.stdout.splitlines()[-1] == "4 claims: 4 hold (4 proved), 0 wrong"


def test_claims_from_stdin():
    out = run("--file", "-", stdin="delta2 = (A2 - Y) * g2'(Z2) / m\n# a comment\ndE/db2 = delta2 @ ones\n")
    assert out.returncode == 0 and out.stdout.splitlines()[-1] == "2 claims: 2 hold (2 proved), 0 wrong"


def test_a_syntax_error_exits_2_with_one_line_naming_the_column():
    out = run("delta2 = (A2 - Y * g2'(Z2)")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == ("symbackprop: error: claim 1, column 27: expected ')' to close '(', found the end of the "
                          "claim\n")


def test_bad_input_exits_2(tmp_path):
    for args, message in [((), "no claims: give one"),
                          (("--file", str(tmp_path / "missing.txt")), "cannot read claims from"),
                          (("delta9 = A9",), "is stated at no layer of this 2-3-1 network"),
                          (("dE/dW1[9,9] = 0",), "W¹[9,9] does not exist"),
                          (("delta2[5,1] = A2[5,1]",), "δ²[5,1] does not exist"),
                          (("delta2[1,7] = A2[1,7]",), "the samples are 1..2"),
                          (("delta0 = A1",), "the input layer"),
                          ((r"\delta^9 = A^2",), r"'\delta^9 = A^2': this 2-3-1 network has no layer 9"),
                          (("delta2 = A2", "--notation", "klingon"), "unknown notation 'klingon'")]:
        out = run(*args)
        assert out.returncode == 2 and message in out.stderr and out.stderr.count("\n") == 1, (args, out.stderr)


def test_hostile_input_is_refused_and_nothing_runs(tmp_path):
    canary = tmp_path / "canary"
    for text in (f"__import__('os').system('touch {canary}')", f"delta2 = open('{canary}', 'w')"):
        out = run(text, cwd=tmp_path)
        assert out.returncode == 2 and out.stderr.startswith("symbackprop: error: ") and out.stderr.count("\n") == 1
    huge = "delta2 = " + "(" * 100000 + "A2" + ")" * 100000          # a file: too long for the command line
    out = run("--file", "-", stdin=huge, cwd=tmp_path)
    assert out.returncode == 2 and "at most 2000 characters" in out.stderr
    assert not canary.exists()
