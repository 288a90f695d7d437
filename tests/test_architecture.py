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
    for start, stages in (("def run(", ("derive", "verify", "lambdify", "gradcheck", "render")),
                          ("def run_stack(", ("verify_stack", "gradcheck_stack", "stack_document", "render_stack"))):
        body = source[source.index(start):]
        body = body[:body.index("\n\n\n")] if "\n\n\n" in body else body     # to the next top-level name
        calls = [body.index(f"{name}(") for name in stages]
        assert calls == sorted(calls), start
        assert len(body.splitlines()) <= 20, start


# Where code outside model/ may write an entry's name, and why: none of these branches on it.
NAMED = {
    ("cli.py", "sigmoid"): "the command line's default network",
    ("cli.py", "mse"): "the command line's default network",
    ("claims/check.py", "sigmoid"): "the repair search's candidate outputs (OUTPUTS)",
    ("claims/check.py", "identity"): "the repair search's candidate outputs (OUTPUTS)",
    ("claims/check.py", "tanh"): "the repair search's candidate outputs (OUTPUTS)",
    ("claims/check.py", "softmax"): "the repair search's candidate outputs (OUTPUTS)",
    ("claims/check.py", "softplus"): "the repair search's candidate outputs (OUTPUTS)",
    ("claims/parse.py", "tanh"): "tanh is also a function name a claim may write, like exp and log",
    ("claims/reading.py", "tanh"): "tanh is also a function name a claim may write, like exp and log",
    ("claims/functions.py", "tanh"): "tanh is also a function name a claim may write, like exp and log",
    ("claims/parse.py", "theta"): "θ spelt out, a Greek letter of the tokenizer",
    ("claims/budget.py", "tanh"): "tanh is also a function name a claim may write, like exp and log",
    ("writeup/seeds.py", "theta"): "seed 001's θ, the name of an IndexedBase",
    ("writeup/seeds.py", "mse"): "the network a seed derives for (ASSUMES)",
    ("writeup/seeds.py", "bce"): "the network a seed derives for (ASSUMES)",
    ("writeup/seeds.py", "sigmoid"): "the network a seed derives for (ASSUMES)",
    **{(f"writeup/seed00{k}.py", name): "the small networks a seed's displays are checked on (data)"
       for k, names in ((0, ("generic", "mse")), (1, ("generic", "bce", "sigmoid", "theta")),
                        (2, ("generic", "mse", "sigmoid"))) for name in names},
    ("symbolic/general.py", "softmax"): "an equation's label",
}
# "matrix" is a route's name as well as a notation's, "rows" a table's rows as well as the samples-as-rows
# notation's name, and the model's modules are the entries and the data about them (a loss's stable term after a
# softmax, a notation's seed network): neither is looked for.
SHARED = {"matrix", "rows"}


def _string_constants(path: pathlib.Path) -> set[str]:
    """The strings a module's code holds, docstrings left out."""
    import ast
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings}


def test_no_code_outside_an_entry_names_a_rule():
    """An activation, a loss or a notation is named only in its own entry's module: a branch such as
    ``if act == "relu"`` elsewhere fails this test, and adding an entry touches one file."""
    from symbackprop.model.activations import ACTIVATIONS
    from symbackprop.model.losses import LOSSES
    from symbackprop.model.notations import NOTATIONS
    owners = {"model/activations.py": set(ACTIVATIONS), "model/losses.py": set(LOSSES),
              "model/notations.py": set(NOTATIONS)}
    names = set().union(*owners.values()) - SHARED
    package = ROOT / "symbackprop"
    found = {}
    for path in package.rglob("*.py"):
        module = path.relative_to(package).as_posix()
        if module.startswith("model/"):
            continue
        for name in (_string_constants(path) & names) - owners.get(module, set()):
            found[(module, name)] = NAMED.get((module, name))
    unexplained = sorted(key for key, why in found.items() if why is None)
    assert not unexplained, f"code outside model/ names an entry (put what it needs in the entry): {unexplained}"
    stale = sorted(set(NAMED) - set(found))
    assert not stale, f"NAMED lists names no longer written there: {stale}"
