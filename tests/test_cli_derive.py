"""The CLI's write-up commands, through the installed console script: derive and explain."""
import json
import os
import shutil
import subprocess

import pytest
from helpers import planted, require_latex

from symbackprop import cli

SCRIPT = shutil.which("symbackprop")


def run(*args, cwd=None, env=None):
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def engine():
    return require_latex()


def test_derive_with_no_arguments_writes_three_files(engine, tmp_path):
    out = run("derive", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "derivation").iterdir()) == ["derivation.md", "derivation.pdf",
                                                                           "derivation.svg", "derivation.tex"]
    # the write-up's own default batch: m = 4, the smallest m >= 3 that is no width, so no two shapes coincide
    assert out.stdout.splitlines()[0] == "symbackprop derive: network 2-3-1, sigmoid, mse, batch m = 4; notation matrix"
    assert out.stderr == ""


def test_a_presets_batch_that_makes_a_shape_square_gives_way(tmp_path):
    """ng's preset m = 2 at 2-3-1 makes X 2 × 2 and prints 1/m as /2; the write-up's own m = 4 is used instead,
    while a preset batch that keeps the shapes distinct (rows' N = 5) and an explicit --batch stay."""
    out = run("derive", "--preset", "ng", "--format", "md", "-o", str(tmp_path / "ng"))
    assert out.returncode == 0 and "batch m = 4; notation ng" in out.stdout.splitlines()[0], out.stdout + out.stderr
    text = (tmp_path / "ng" / "derivation.md").read_text()
    assert r"$(3 \times 4) = (3 \times 2)(2 \times 4) + (3 \times 1)(1 \times 4)$" in text
    rows = run("derive", "--preset", "rows", "--format", "md", "-o", str(tmp_path / "rows"))
    assert "batch m = 5; notation rows" in rows.stdout.splitlines()[0], rows.stdout + rows.stderr
    given = run("derive", "--preset", "ng", "--batch", "2", "--format", "md", "-o", str(tmp_path / "ng2"))
    assert "batch m = 2; notation ng" in given.stdout.splitlines()[0], given.stdout + given.stderr


def test_every_notation_and_a_chosen_parameter(engine, tmp_path):
    out = run("derive", "--notation", "all", "--format", "tex,md", "--param", "W2[1,3]", "-o", str(tmp_path / "o"))
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == sorted(
        f"derivation-{n}.{ext}" for n in ("matrix", "theta", "ufldl", "nielsen", "ng", "goodfellow", "bishop", "rows")
        for ext in ("tex", "md", "svg"))
    assert r"A worked example: \texorpdfstring{$\theta^{(2)}_{1,3}$}" in (tmp_path / "o" / "derivation-theta.tex").read_text()
    # the same weight in every document: in rows, W^2's row 3 (unit 3 of layer 1), column 1
    assert r"A worked example: \texorpdfstring{$W^{2}_{31}$}" in (tmp_path / "o" / "derivation-rows.tex").read_text()


@pytest.mark.parametrize("args, message", [
    (["--notation", "greek"], "argument --notation: unknown notation 'greek'; allowed: matrix, theta, ufldl, nielsen, "
                              "ng, goodfellow, bishop, rows, all, or a file ending in .toml"),
    (["--format", "tex,docx"], "argument --format: unknown format 'docx'; allowed: tex, md, pdf"),
    (["--param", "W3[1,1]"], "unknown parameter 'W3[1,1]'; this network has W1[i,j] (i 1..3, j 1..2), b1[i] (i 1..3), "
                             "W2[1,j] (j 1..3), b2[1]"),
    (["-o", "/proc/symbackprop"], "cannot write to the output folder '/proc/symbackprop'"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    out = run("derive", *args, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("symbackprop: error: " + message) and out.stderr.count("\n") == 1, out.stderr
    assert not (tmp_path / "derivation").exists()


def test_without_a_latex_engine_the_tex_and_md_are_still_written(tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    out = run("derive", "-o", str(tmp_path / "o"), env={"PATH": str(bare)})
    assert out.returncode == 2
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["derivation.md", "derivation.svg", "derivation.tex"]
    assert "derivation.pdf not written: NoEngine: no LaTeX engine found (latexmk or pdflatex); install TeX Live" \
        in out.stderr


def test_a_latex_failure_shows_the_log_and_leaves_no_pdf(engine, tmp_path):
    """A broken amsmath.sty found first on TEXINPUTS: the real engine fails for a real reason."""
    broken = tmp_path / "tex"
    broken.mkdir()
    (broken / "amsmath.sty").write_text("\\ProvidesPackage{amsmath}\n\\thisisnotacommand\n")
    out = run("derive", "-o", str(tmp_path / "o"), env={"TEXINPUTS": f"{broken}:"})
    assert out.returncode == 2
    assert "derivation.pdf not written: latexmk failed on derivation.tex: ! Undefined control sequence." in out.stderr
    assert "  | " in out.stderr and "thisisnotacommand" in out.stderr
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["derivation.md", "derivation.svg", "derivation.tex"]


def test_a_wrong_rule_makes_derive_exit_1(tmp_path, capsys):
    code = cli.main(["derive", "--sizes", "2,2,1", "--batch", "1", "--format", "md", "-o", str(tmp_path)],
                    rules=planted("missing g' factor"))
    assert code == 1
    assert "| failed |" in (tmp_path / "derivation.md").read_text()


def test_explain_prints_unicode_steps():
    out = run("explain", "W1[2,1]", "--sizes", "2,2,1", "--batch", "1")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1] == "1. multivariable chain rule: the parameter enters E only through Z¹₂;₁; Z is linear in it"
    assert lines[2] == "   ∂E/∂W¹₂₁ = ∂E/∂Z¹₂;₁·∂Z¹₂;₁/∂W¹₂₁ = A⁰₁;₁·∂E/∂Z¹₂;₁"
    assert lines[-1] == "result: ∂E/∂W¹₂₁ = A¹₂;₁·A²₁;₁·W²₁₂·A⁰₁;₁·(1 - A¹₂;₁)·(1 - A²₁;₁)·(A²₁;₁ - Y₁;₁)"


def test_explain_formats_and_json():
    latex = run("explain", "b1[1]", "--format", "latex", "--notation", "theta")
    assert latex.returncode == 0 and r"\begin{enumerate}" in latex.stdout and r"\theta^{(1)}_{1,0}" in latex.stdout
    data = json.loads(run("explain", "b1[1]", "--json").stdout)
    assert data["parameter"] == "b1[1]" and data["path_count"] == 2 and data["text"][0].startswith("∂E/∂b¹₁")
    bad = run("explain", "W1[9,9]")
    assert bad.returncode == 2 and bad.stderr.startswith("symbackprop: error: unknown parameter 'W1[9,9]'")


def test_parameters_as_theta_and_ufldl_write_them():
    theta = run("explain", "θ(1)[2,0]", "--notation", "theta", "--sizes", "2,2,1")
    assert theta.returncode == 0 and theta.stdout.startswith("∂J/∂θ⁽¹⁾₂,₀ (b1[2])")
    ufldl = run("explain", "W(2)[1,2]", "--notation", "ufldl", "--sizes", "2,2,1")
    assert ufldl.returncode == 0 and ufldl.stdout.startswith("∂J/∂W⁽²⁾₁₂ (W2[1,2])")


def test_a_bare_command_names_the_commands():
    out = run()
    assert out.returncode == 2
    assert out.stderr == ("symbackprop: error: choose a command: derive, explain, check, verify or gradcheck "
                          "(symbackprop <command> --help)\n")


def test_documents_are_as_readable_as_any_new_file(tmp_path):
    old = os.umask(0o022)
    try:
        code = cli.main(["derive", "--sizes", "1,1", "--activation", "identity", "--batch", "1", "--format", "tex,md",
                         "-o", str(tmp_path)])
    finally:
        os.umask(old)
    assert code == 0
    assert {oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()} == {"0o644"}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []     # no temporary file left
