"""The teaching notebooks run top to bottom in a real Jupyter kernel (nbclient), and teach what they say.

Each notebook asserts its own mathematics in its cells (a proof holds, a broken gradient fails); a
failing assertion is a cell error here. The tests also read the outputs a reader would see.
"""
import pathlib

import pytest
from helpers import require_extra

nbformat = require_extra("nbformat")
nbclient = require_extra("nbclient")

FOLDER = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(p.name for p in FOLDER.glob("*.ipynb"))


def test_five_notebooks():
    assert NOTEBOOKS == ["01_derive_and_verify.ipynb", "02_three_notations.ipynb", "03_symbolic_vs_numeric.ipynb",
                         "04_chain_rule_step_by_step.ipynb", "05_find_the_mistake.ipynb"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_kept_without_outputs(name):
    nb = nbformat.read(FOLDER / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: clear the outputs before committing"


def _run(name, tmp_path) -> list:
    nb = nbformat.read(FOLDER / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}})
    client.execute()                          # raises CellExecutionError, with the cell and traceback, on any error
    return nb.cells


def _text(cells) -> str:
    out = []
    for cell in cells:
        for output in cell.get("outputs", []):
            out.append(output.get("text", ""))
            out.extend(str(v) for k, v in output.get("data", {}).items() if k in ("text/plain", "text/latex",
                                                                                 "text/markdown"))
    return "\n".join(out)


def _images(cells) -> int:
    return sum("image/png" in output.get("data", {}) for cell in cells for output in cell.get("outputs", []))


def test_01_derive_and_verify(tmp_path):
    text = _text(_run("01_derive_and_verify.ipynb", tmp_path))
    assert "W1[2,1]: proved (exact: induction over layers)" in text
    assert r"\delta^{L}_{i;c} &= " in text                          # the Derivation shown as its δ equations
    assert r"{g^{1}}'\left(Z^{1}_{2;1}\right)" in text             # the generic partial, in the notation's glyphs
    assert "{'proved': 13, 'numeric': 0, 'failed': 0}" in text


def test_02_three_notations(tmp_path):
    text = _text(_run("02_three_notations.ipynb", tmp_path))
    for name in ("matrix", "theta", "ufldl"):
        assert f"{name:7} proved" in text
    assert text.count("proved  ") >= 13                            # the seeds' thirteen equations
    assert "a sum starts at 0" in text


def test_03_symbolic_vs_numeric(tmp_path):
    cells = _run("03_symbolic_vs_numeric.ipynb", tmp_path)
    text = _text(cells)
    assert "complex step" in text and "autograd" in text and "your gradients" in text
    assert "slope for large h: 2.0" in text
    assert _images(cells) == 1                                     # the step sweep


def test_04_chain_rule_step_by_step(tmp_path):
    cells = _run("04_chain_rule_step_by_step.ipynb", tmp_path)
    text = _text(cells)
    assert "multivariable chain rule" in text and "3 paths" in text
    assert _images(cells) == 2                                     # the paths, in two notations


def test_05_find_the_mistake(tmp_path):
    text = _text(_run("05_find_the_mistake.ipynb", tmp_path))
    for diagnosis in ("the 1/m of the mean over the m samples is missing", "a factor g²′(Z²[i,c]) is missing",
                      "transposed: (W2)ᵀ in place of W2", "right only for the output layer",
                      "transposed: the indices of W2[i,k] swapped", "or for bce with a sigmoid output"):
        assert diagnosis in text, diagnosis
    assert text.count("proved  ") >= 5
