"""The textbook corpus (tests/corpus/*.json): equations exactly as public texts print them, each with its source,
read verbatim in the book's own notation; the right ones proved, the wrong ones refuted with the expected
diagnosis. A false alarm (a right equation called wrong) fails here."""
import functools
import json
import pathlib

import pytest

from symbackprop import check, derive, preset

CORPUS = {path.stem: json.loads(path.read_text(encoding="utf-8"))
          for path in sorted((pathlib.Path(__file__).parent / "corpus").glob("*.json"))
          if path.stem != "layers"}             # a layer stack's claims: tests/test_stack_claims.py reads them
ROWS = [(name, k, row) for name, book in CORPUS.items() for k, row in enumerate(book["equations"])]


@functools.cache
def derivation(name):
    return derive(preset(CORPUS[name]["notation"], sizes=tuple(CORPUS[name]["network"]["sizes"])))


def test_each_book_has_at_least_ten_equations_right_and_wrong():
    assert {"nielsen", "ng"} <= set(CORPUS)
    for name, book in CORPUS.items():
        verdicts = [row["verdict"] for row in book["equations"]]
        assert len(verdicts) >= 10 and verdicts.count("proved") >= 5 and verdicts.count("refuted") >= 5, name
        assert book["url"] and book["book"] and all(row["source"] for row in book["equations"])
        assert all(row.get("diagnosis") for row in book["equations"] if row["verdict"] == "refuted"), name


@pytest.mark.parametrize("name, k, row", ROWS, ids=[f"{name}-{k}" for name, k, _ in ROWS])
def test_read_verbatim(name, k, row):
    verdict = check(derivation(name), row["equation"], CORPUS[name]["notation"])
    if row["verdict"] == "proved":
        assert verdict.status == "proved" and verdict.instances > 0, verdict.text()
    else:
        assert verdict.status == "wrong", verdict.text()
        assert row["diagnosis"] in [d.kind for d in verdict.diagnoses], verdict.text()
