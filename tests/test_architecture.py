"""Imports go one way: the layers contract in pyproject.toml, checked by import-linter."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_layers_contract_holds():
    lint = pathlib.Path(sys.executable).with_name("lint-imports")      # beside this interpreter, PATH or not
    assert lint.exists(), "import-linter is a test dependency"
    out = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 kept, 0 broken" in out.stdout


def test_every_module_is_in_the_contract():
    text = (ROOT / "pyproject.toml").read_text()
    modules = {p.stem for p in (ROOT / "symbackprop").glob("*.py")} - {"__init__", "__main__"}
    missing = {m for m in modules if f"symbackprop.{m}" not in text}
    assert not missing, f"add to the layers contract: {missing}"
