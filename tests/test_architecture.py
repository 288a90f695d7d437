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
    assert "2 kept, 0 broken" in out.stdout


def test_every_stage_is_in_the_contract():
    """Each top-level module and sub-package (a stage) is a layer; so is each module of the model."""
    text = (ROOT / "pyproject.toml").read_text()
    package = ROOT / "symbackprop"
    stages = {p.stem for p in package.glob("*.py")} | {p.parent.name for p in package.glob("*/__init__.py")}
    model = {f"model.{p.stem}" for p in (package / "model").glob("*.py")}
    missing = {m for m in (stages | model) - {"__init__", "__main__", "model.__init__"}
               if f'"symbackprop.{m}"' not in text and f"symbackprop.{m} " not in text and f" symbackprop.{m}\"" not in text}
    assert not missing, f"add to the layers contract: {missing}"


def test_the_pipeline_names_every_stage():
    """The one function a newcomer reads first calls each stage, in order."""
    source = (ROOT / "symbackprop" / "pipeline.py").read_text()
    body = source[source.index("def run("):]
    calls = [body.index(f"{name}(") for name in ("derive", "verify", "lambdify", "gradcheck", "render")]
    assert calls == sorted(calls)
    assert len(body.splitlines()) <= 20
