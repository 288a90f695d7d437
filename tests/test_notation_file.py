"""A course's own notation from a TOML file: read as data, checked key by key, and then a notation like the
built-in ones for derive, explain and check."""
import dataclasses
import shutil
import subprocess

import pytest
from helpers import require_latex

from symbackprop import Network, SpecError, check, derive, render
from symbackprop.model.notation_file import load, read
from symbackprop.model.notations import NOTATIONS, notation, register

# A course that calls the cost C and the weights w, counts layers from 1 (the input is layer 1) and writes
# one sample at a time: the ufldl notation's structure under its own letters.
COURSE = r'''
name = "course"
base = "ufldl"
description = "layers 1..L, the input layer 1; cost C; weights w^(l)_{jk}; errors δ"
error = "C"
delta = "δ({l})[{i}]"
weight = "w({l})[{i},{j}]"
delta_scale = "δ^(l+1) = ∂C/∂z^(l+1), one sample"

[tex]
error = "C"
weight = "w^{(@l)}_{@s}"
delta = "\\delta^{(@l)}_{@s}"

[words]
w = "W"
b = "b"
z = "Z"
a = "A"
x = "X"
y = "Y"
delta = "delta"
C = "E"
sigma = "g"
'''


@pytest.fixture
def course():
    before = dict(NOTATIONS)
    yield register(read(COURSE, "course.toml"))
    NOTATIONS.clear()
    NOTATIONS.update(before)


def test_a_file_says_only_what_differs_from_its_base(course):
    base = notation("ufldl")
    assert course.error == "C" and course.tex.weight == "w^{(@l)}_{@s}" and course.seed == ""
    assert (course.layer_offset, course.letters, course.tex.per_sample) == (base.layer_offset, base.letters, True)
    assert course.words["C"] == "E" and "J" not in course.words


def test_check_reads_the_course_letters_and_judges_them(course):
    d = derive(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=1))
    right = check(d, r"\frac{\partial C}{\partial w^{(2)}_{11}} = \delta^{(3)}_1 a^{(2)}_1", notation="course")
    assert right.ok and right.status == "proved"
    wrong = check(d, r"\delta^{(2)}_1 = w^{(2)}_{11} \delta^{(3)}_1", notation="course")   # σ′ forgotten
    assert not wrong.ok


def test_the_write_up_is_in_the_course_letters_and_compiles(course, tmp_path):
    d = derive(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=1))
    md = render(d, notation="course", fmt="markdown")
    assert r"\frac{\partial C}{\partial w^{(2)}_{11}}" in md or r"\partial w^{(" in md
    assert r"\partial J" not in md and r"\partial E" not in md
    engine = require_latex()
    from symbackprop.writeup.pdf import compile_pdf
    compile_pdf(render(d, notation="course", fmt="latex"), tmp_path / "course.pdf", engine=engine)
    assert (tmp_path / "course.pdf").stat().st_size > 1000


def test_every_built_in_notation_is_its_own_base():
    for name, entry in NOTATIONS.items():
        copy = read(f'name = "{name}"\nbase = "{name}"\nseed = "{entry.seed}"\n')
        assert copy == entry


@pytest.mark.parametrize("text, message", [
    ("name = 'c'\nerorr = 'C'", "unknown key 'erorr'; allowed: name, seed"),
    ("name = 'c'\nlayer_offset = 'one'", "key 'layer_offset' must be a whole number"),
    ("name = 'c'\nlayer_offset = 7", r"must be 0 \(the input is layer 0\) or 1"),
    ("name = 'c'\nbias_column = 1", "key 'bias_column' must be true or false"),
    ("name = 'c'\nwords = 3", "must be a table"),
    ("name = 'c'\n[tex]\nweight = '\\input{/etc/passwd}'", r"the command \\input is not allowed"),
    ("name = 'c'\n[tex]\nweight = 'w^{(@l)'", "braces do not balance"),
    ("name = 'c'\n[tex]\ngradient = '\\write18{rm} @q'", r"\[tex\] key 'gradient': the command \\write is not allowed"),
    ("name = 'c'\n[tex]\nweight = 'w$x'", r"'\$' is not allowed in a glyph"),
    ("name = 'c'\n[tex]\nwieght = 'w'", r"\[tex\]: unknown key 'wieght'"),
    ("name = 'c'\nweight = 'w{l}[{q}]'", "key 'weight'.*'q'"),
    ("name = 'c'\nletters = 'ij'", "four different index letters"),
    ("name = 'c'\nletters = 'aaaa'", "four different index letters"),      # an internal error (exit 3) before
    ("name = 'c'\nerror_name = 'Cost\\\\input'", r"key 'error_name' must be a word or two in lower case"),
    ("name = 'c'\n[tex]\nrate = '\\write18'", r"\[tex\] key 'rate': the command \\write is not allowed"),
    ("name = 'c'\n[tex]\nlayer = 'k'", r"'layer' and 'output' must be two different letters, neither an index"),
    ("name = 'c'\n[tex]\noutput = 'l'", r"'layer' and 'output' must be two different letters"),
    ("name = 'c'\n[tex]\nlayer = '\\ell'", r"'layer' and 'output' must be two different letters"),
    ("name = 'c'\n[words]\nq = 'bogus'", r"\[words\] key 'q': 'bogus' is not a meaning claims read"),
    ("name = 'Bad Name'", "key 'name' must be"),
    ("name = 'c'\nbase = 'nielsen2'", "key 'base'"),
    ("name = [", "not TOML"),
])
def test_a_bad_file_is_one_line_naming_the_key(text, message):
    with pytest.raises(SpecError, match=message) as error:
        read(text, "course.toml")
    assert "\n" not in str(error.value) and str(error.value).startswith("course.toml")


def test_a_file_is_read_bounded_and_as_utf8(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 70_000)
    with pytest.raises(SpecError, match="at most 64 kB"):
        load(big)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"name = '\xe9'")
    with pytest.raises(SpecError, match="UTF-8"):
        load(latin)
    bom = tmp_path / "bom.toml"
    bom.write_bytes("\ufeffname = 'bom'\n".encode())
    assert load(bom).name == "bom"
    with pytest.raises(SpecError, match="cannot read"):
        load(tmp_path / "absent.toml")


def test_the_command_line_takes_a_file_and_refuses_a_bad_one(tmp_path):
    script = shutil.which("symbackprop")
    assert script, "pip install . puts symbackprop on PATH"
    path = tmp_path / "course.toml"
    path.write_text(COURSE)
    ok = subprocess.run([script, "check", "--notation", str(path),
                         r"\frac{\partial C}{\partial w^{(2)}_{11}} = \delta^{(3)}_1 a^{(2)}_1"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "proved" in ok.stdout, ok.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(COURSE.replace('error = "C"', 'eror = "C"', 1))
    out = subprocess.run([script, "derive", "--notation", str(bad), "-o", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "unknown key 'eror'" in out.stderr
    assert not (tmp_path / "out").exists()


def test_notation_entries_are_plain_data():
    """What a file can set is what an entry holds: every field has a type the loader reads."""
    from symbackprop.model.notation_entry import _kind
    from symbackprop.model.notations import Glyphs, Notation
    for cls in (Notation, Glyphs):
        for f in dataclasses.fields(cls):
            if f.name != "tex":
                assert _kind(f.type) in (str, int, bool, dict)


def test_the_readme_notation_file_reads_and_its_claim_is_proved():
    import pathlib
    import re
    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
    (text,) = re.findall(r"```toml\n(.*?)```", readme, re.S)
    before = dict(NOTATIONS)
    try:
        register(read(text, "README"))
        d = derive(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=1))
        claim = r"\frac{\partial C}{\partial w^{(2)}_{11}} = \delta^{(3)}_1 a^{(2)}_1"
        assert claim.replace(" ", "") in re.sub(r"\s+", "", readme.replace("\\\\", "\\"))
        assert check(d, claim, notation="course").status == "proved"
    finally:
        NOTATIONS.clear()
        NOTATIONS.update(before)


def test_every_built_in_notation_written_out_reads_back_the_same():
    from symbackprop.model.notation_file import dump
    for entry in NOTATIONS.values():
        text = dump(entry)
        assert "base" not in text and read(text, entry.name) == entry


def test_a_notation_without_a_base_gives_every_key():
    from symbackprop.model.notation_file import dump
    text = dump(notation("matrix")).replace('error = "E"\n', "", 1)
    saved = dict(NOTATIONS)
    try:
        NOTATIONS.clear()                           # as when the built-in notations are read, first of all
        with pytest.raises(SpecError, match="key 'error' is missing"):
            read(text, "matrix.toml")
    finally:
        NOTATIONS.update(saved)


# --- the built-in notations are files ------------------------------------------------------------------------

def test_each_built_in_notation_is_a_file_written_as_dump_writes_it():
    """Each file round-trips: load -> dump gives the file's own text, and reading that back gives the entry."""
    import tomllib

    from symbackprop.model.notation_entry import dump, entry
    from symbackprop.model.notations import BUILT_IN, built_in
    files = sorted(BUILT_IN.glob("*.toml"))
    assert [entry(tomllib.loads(p.read_text(encoding="utf-8")), p.name).name for p in files] == list(built_in())
    assert list(built_in()) == ["matrix", "theta", "ufldl", "nielsen", "ng", "goodfellow", "bishop", "rows"][:len(files)]
    for path in files:
        loaded = entry(tomllib.loads(path.read_text(encoding="utf-8")), path.name)
        assert loaded == NOTATIONS[loaded.name]
        assert dump(loaded) == path.read_text(encoding="utf-8"), path.name
        assert read(dump(loaded), path.name) == loaded


def test_a_notation_is_added_by_dropping_one_file(tmp_path):
    """A folder holding the built-in files and one more gives that one too, read by the same loader."""
    from symbackprop.model.notation_entry import dump
    from symbackprop.model.notations import BUILT_IN, built_in
    for path in BUILT_IN.glob("*.toml"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    course = dataclasses.replace(notation("ufldl"), name="course", seed="", error="C",
                                 tex=dataclasses.replace(notation("ufldl").tex, error="C"),
                                 words={**notation("ufldl").words, "C": "E"})
    (tmp_path / "85-course.toml").write_text(dump(course), encoding="utf-8")
    found = built_in(tmp_path)
    assert list(found)[-1] == "course" and found["course"] == course
    assert {k: v for k, v in found.items() if k != "course"} == NOTATIONS
    (tmp_path / "90-again.toml").write_text(dump(course), encoding="utf-8")
    with pytest.raises(SpecError, match="90-again.toml: the notation 'course' is defined twice"):
        built_in(tmp_path)
    bad = dump(course).replace('C = "E"', 'C = "Energy"')
    (tmp_path / "90-again.toml").write_text(bad.replace('name = "course"', 'name = "again"'), encoding="utf-8")
    with pytest.raises(SpecError, match=r"90-again.toml \[words\] key 'C': 'Energy' is not a meaning"):
        built_in(tmp_path)


def test_the_meanings_a_file_may_use_do_not_depend_on_what_is_loaded():
    """[words] is checked against one fixed vocabulary: with no notation registered, every built-in one still
    reads, and every meaning a built-in uses is in it."""
    from symbackprop.model.notation_entry import _AT_LAYER, MEANINGS, dump
    used = {v for entry in NOTATIONS.values() for v in entry.words.values()}
    assert all(v in MEANINGS or _AT_LAYER.fullmatch(v) for v in used), used - set(MEANINGS)   # or at a fixed layer
    saved = dict(NOTATIONS)
    try:
        NOTATIONS.clear()
        for entry in saved.values():
            assert read(dump(entry), entry.name) == entry
        assert read(dump(saved["goodfellow"]).replace('name = "goodfellow"', 'name = "g2"'), "g2").words["g"] \
            == "running"
    finally:
        NOTATIONS.update(saved)


def test_the_wheel_carries_the_notation_files(tmp_path):
    import sys
    import zipfile
    from pathlib import Path

    from symbackprop.model.notations import BUILT_IN
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(root)],
                   check=True)
    names = zipfile.ZipFile(next(tmp_path.glob("symbackprop-*.whl"))).namelist()
    assert {f"symbackprop/model/builtin_notations/{p.name}" for p in BUILT_IN.glob("*.toml")} <= set(names)
    assert len(list(BUILT_IN.glob("*.toml"))) >= 7


def test_samples_as_rows_is_read_by_check_and_written_in_its_own_layout(tmp_path):
    """The rows notation (CS231n's layout) reads claims and writes documents whose matrices are its own (the
    transposes of the matrix notation's), never the matrix notation's columns under its name."""
    from symbackprop import check, derive, explain, preset, write
    d = derive(preset("rows", sizes=(2, 3, 3)))
    assert check(d, "dW2 = np.dot(hidden_layer.T, dscores)", "rows").status == "proved"
    assert check(d, "dW2 = np.dot(dscores.T, hidden_layer)", "rows").status == "wrong"
    out = write(d, tmp_path / "out", notations=("rows",), formats=("md",))
    text = (tmp_path / "out" / "derivation.md").read_text()
    assert out.ok and r"\frac{\partial E}{\partial W^{l}} &= \left(A^{l - 1}\right)^{T} \delta^{l}" in text
    assert r"\delta^{l} \left(A^{l - 1}\right)^{T}" not in text                  # the matrix notation's order
    assert "W^{1}_{21}" in explain(d, "W1[2,1]", notation="rows").latex()


def test_an_assumption_on_y_is_said_along_the_notations_sample_axis():
    """softmax + cce's δ^L = (A − Y)/m needs each sample's targets to sum to 1: a column of Y in the matrix
    notation, a row of it where samples are rows."""
    from symbackprop import check, derive, preset
    d = derive(preset("rows", sizes=(2, 3, 3)))
    verdict = check(d, "dscores = (probs - Y) / N", "rows")
    said = [x.message for x in verdict.diagnoses if x.kind == "assumption"]
    assert said and "every row of Y sums to 1" in said[0] and "column" not in said[0]
