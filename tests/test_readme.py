"""The README's Python examples run as written (a stale example is a defect)."""
import contextlib
import io
import pathlib
import re

import pytest

README = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
EXAMPLES = re.findall(r"```python\n(.*?)```", README, re.S)


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("k", range(len(EXAMPLES)))
def test_example_runs(k):
    from symbackprop.model.activations import ACTIVATIONS
    from symbackprop.model.losses import LOSSES
    from symbackprop.model.notations import NOTATIONS
    saved = dict(ACTIVATIONS), dict(LOSSES), dict(NOTATIONS)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(EXAMPLES[k], f"README example {k + 1}", "exec"), {})   # the project's own text
    finally:                                   # an example that registers a rule leaves the registries as found
        for table, before in zip((ACTIVATIONS, LOSSES, NOTATIONS), saved, strict=True):
            table.clear()
            table.update(before)
    printed = out.getvalue()
    if "register_activation" in EXAMPLES[k]:
        assert printed == "True\nTrue\n"
    elif "check(d, " in EXAMPLES[k]:
        assert printed.splitlines() == ["wrong ['gprime', 'other network']", "proved"]
    elif "explain" in EXAMPLES[k]:
        assert printed.splitlines() == ["multivariable chain rule 2", "True"]
    elif "gradcheck" in EXAMPLES[k]:
        assert "delta1 = W2.T @ delta2\n" in printed and "delta1 *= A1\n" in printed and "FAIL" not in printed
    else:
        assert "proved (exact: induction over layers)" in printed
