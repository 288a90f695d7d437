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
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(EXAMPLES[k], f"README example {k + 1}", "exec"), {})   # the project's own text
    printed = out.getvalue()
    if "check(d, " in EXAMPLES[k]:
        assert printed.splitlines() == ["wrong ['gprime', 'other network']", "proved"]
    elif "explain" in EXAMPLES[k]:
        assert printed.splitlines() == ["multivariable chain rule 2", "True"]
    elif "gradcheck" in EXAMPLES[k]:
        assert "delta1 = W2.T @ delta2\n" in printed and "delta1 *= A1\n" in printed and "FAIL" not in printed
    else:
        assert "proved (exact: induction over layers)" in printed
