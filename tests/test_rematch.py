"""An edit of the codebook alone re-matches the changed codes from the corpus token file (#16).

Every test compares the edited re-run's output folder with a cold ``qca code --force
--no-cache`` run of the same edited codebook, byte for byte (run.json without its
times, output stamps and the ``cache`` option).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.coding import CodeOptions, code
from qca.models import (
    CODINGS_CSV,
    CODINGS_FILE,
    HIT_COLUMNS,
    HITS_CSV,
    HITS_FILE,
    RUN_FILE,
    SEGMENTS_FILE,
)
from qca.rematch import rematch
from qca.rerun import check_outputs
from tests.conftest import ROOT

CASES = ROOT / "tests" / "cases"
CODE_CASES = sorted(p for p in CASES.glob("code-*") if p.is_dir())
NOT_TRANSCRIPTS = {"codebook.yaml", "expected_hits.csv", "args.txt", "README.md"}
TABLES = (SEGMENTS_FILE, HITS_FILE, CODINGS_FILE, HITS_CSV, CODINGS_CSV)
REMATCHED = "codebook edited: re-matched"


def _manifest(folder: Path) -> dict[str, object]:
    manifest = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    for key in ("started", "finished", "outputs"):
        manifest.pop(key)
    manifest["options"].pop("cache")
    return manifest


def assert_same_outputs(edited: Path, cold: Path) -> None:
    for name in TABLES:
        assert (edited / name).read_bytes() == (cold / name).read_bytes(), name
    assert _manifest(edited) == _manifest(cold)


def _code(
    runner: CliRunner, paths: list[str], book: Path, out: Path, *extra: str
) -> tuple[int, str]:
    result = runner.invoke(app, ["code", *paths, "-c", str(book), "-d", str(out), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.stderr
    return result.exit_code, result.stderr


def _edit_and_compare(
    runner: CliRunner, paths: list[str], before: Path, after: Path, tmp: Path, *extra: str
) -> str:
    """Code with *before*, then with *after* (the edited re-run); compare with a cold run."""
    _code(runner, paths, before, tmp / "out", *extra)
    status, said = _code(runner, paths, after, tmp / "out", *extra)
    cold = _code(runner, paths, after, tmp / "cold", "--force", "--no-cache", *extra)
    assert status == cold[0], said
    assert_same_outputs(tmp / "out", tmp / "cold")
    return said


def _demo_edit(tmp: Path, old: str, new: str) -> Path:
    text = (ROOT / "codebooks" / "esther.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp / "edited.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


DEMO = [str(ROOT / "transcripts")]


@pytest.mark.parametrize(
    ("old", "new", "fast"),
    [
        # a code with terms, a token pattern, a regex and a not phrase
        ("inspired]", "inspired, driven, fire*]", True),
        # a code with terms only; a term removed
        ('terms: ["steal with pride", ', "terms: [", True),
        # a not phrase added
        ("not: [blood pressure]", "not: [blood pressure, run chart]", True),
        # a new term the tokenizer splits at an infix: only spaCy can tell
        ("inspired]", "inspired, self-driven]", False),
        # every code changes (the negation settings are shared): a full run
        ("  window: 4", "  window: 2", False),
    ],
)
def test_rematch_demo_matches_a_cold_run(
    runner: CliRunner, tmp_path: Path, old: str, new: str, fast: bool
) -> None:
    after = _demo_edit(tmp_path, old, new)
    said = _edit_and_compare(runner, DEMO, ROOT / "codebooks" / "esther.yaml", after, tmp_path)
    assert (REMATCHED in said) == fast
    if fast:
        assert "codebook edited: re-matched 1 of 16 codes from the token store\n" in said
        assert "coded 3 documents, 198 segments, 6826 words:" in said


def _books(case: Path, tmp: Path) -> tuple[Path, Path]:
    """Return the case's codebook with one more code that no edit changes (before), and
    the same with a term that matches nothing added to its first code (after): the
    first code is re-matched and must give the golden hits again."""
    data = yaml.safe_load((case / "codebook.yaml").read_text(encoding="utf-8"))
    theme = next(iter(data["themes"].values()))
    theme.setdefault("codes", {})["zz_unchanged"] = {"terms": ["qqqq"]}
    before = tmp / "before.yaml"
    before.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    first = next(iter(theme["codes"].values()))
    terms = first.setdefault("terms", [])
    if isinstance(terms, dict):  # terms per language
        terms = terms.setdefault(data.get("language", "en"), [])
    terms.append("zzzz")
    after = tmp / "after.yaml"
    after.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return before, after


@pytest.mark.parametrize("case", CODE_CASES, ids=[p.name for p in CODE_CASES])
def test_rematch_golden_case(case: Path, runner: CliRunner, tmp_path: Path) -> None:
    before, after = _books(case, tmp_path)
    paths = sorted(str(p) for p in case.iterdir() if p.name not in NOT_TRANSCRIPTS)
    args = case / "args.txt"
    extra = shlex.split(args.read_text(encoding="utf-8")) if args.is_file() else []
    said = _edit_and_compare(runner, paths, before, after, tmp_path, *extra)
    expected = (case / "expected_hits.csv").read_text(encoding="utf-8")
    assert (tmp_path / "out" / HITS_CSV).read_text(encoding="utf-8") == expected
    assert (REMATCHED in said) == (case.name not in FULL_RUN_CASES)


#: Golden cases whose edit needs a full run: no speaker (the document unit), a corpus in
#: two languages (one token file holds one), or a fallback code (it reads every code's hits).
FULL_RUN_CASES = frozenset(
    {"code-document-unit-include-interviewer", "code-document-unit-interviewer", "code-swedish"}
    | {"code-fallback-max-words"}
)


def test_rematch_imports_neither_spacy_nor_pandas(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "qca", "code", *DEMO, "-d", str(tmp_path / "out")]
    first = subprocess.run(
        [*command, "-c", str(ROOT / "codebooks" / "esther.yaml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert first.returncode == 1, first.stderr  # the demo skips participants.csv
    after = _demo_edit(tmp_path, "inspired]", "inspired, driven]")
    check = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('LOADED', sorted(m for m in ('spacy', 'pandas') "
        "if m in sys.modules), file=sys.stderr))\n"
        f"sys.argv = {['qca', *command[3:], '-c', str(after)]!r}\n"
        "runpy.run_module('qca', run_name='__main__')\n"
    )
    second = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert REMATCHED in second.stderr, second.stderr
    assert "LOADED []" in second.stderr, second.stderr


WORDS = [
    "motivation", "motivated", "team", "coach", "idea", "ideas", "change", "patient",
    "network", "measure", "can't", "cannot", "gonna", "don't", "e-mail", "U.S.", "well,",
    "(test)", "self-made", "it's", "motivat*", "coach*", "small test", "the patient",
    "don't know", "'s", "ok.", "Team",
]  # fmt: skip
#: Terms whose words the tokenizer keeps whole (no affix, infix or special case like
#: "cannot" -> "can not"): an edit adding only these never needs spaCy.
PLAIN = frozenset(
    ["motivation", "motivated", "team", "coach", "idea", "ideas", "change", "patient"]
    + ["network", "measure", "Team", "small test", "the patient", "motivat*", "coach*"]
)
BASE = {"a": ["motivation", "idea"], "b": ["team", "patient"], "c": ["network"]}


def _book(terms: dict[str, list[str]]) -> str:
    lines = ["name: Edits", "language: en", "themes:", "  t:", "    codes:"]
    for name, found in terms.items():
        lines += [f"      {name}:", f"        terms: {json.dumps(found)}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def base_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo coded once with ``BASE`` (output and cache), copied by each edit below."""
    base = tmp_path_factory.mktemp("base")
    (base / "before.yaml").write_text(_book(BASE), encoding="utf-8")
    code(DEMO, base / "before.yaml", outdir=base / "out", options=CodeOptions())
    return base


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    added=st.lists(st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(WORDS)), max_size=3),
    removed=st.lists(st.sampled_from(["motivation", "team"]), max_size=2),
)
def test_rematch_random_term_edits(
    tmp_path_factory: pytest.TempPathFactory,
    base_run: Path,
    added: list[tuple[str, str]],
    removed: list[str],
) -> None:
    tmp = tmp_path_factory.mktemp("edits")
    shutil.copytree(base_run, tmp, dirs_exist_ok=True)  # keeps the files' times
    terms = {code: [t for t in found if t not in removed] for code, found in BASE.items()}
    for name, term in added:
        terms[name].append(term)
    (tmp / "after.yaml").write_text(_book(terms), encoding="utf-8")
    options = CodeOptions()
    state = check_outputs(DEMO, tmp / "after.yaml", tmp / "out", options=options)
    assert state.codebook_only  # the codebook's path differs, at least
    done = rematch(tmp / "after.yaml", state, options)
    if isinstance(done, str):  # the CLI codes as a full run then
        code(DEMO, tmp / "after.yaml", outdir=tmp / "out", options=options)
    cold = CodeOptions(cache=False)
    code(DEMO, tmp / "after.yaml", outdir=tmp / "cold", options=cold)
    assert_same_outputs(tmp / "out", tmp / "cold")
    simple = all(w in PLAIN for _, w in added)
    if simple and terms != BASE:
        assert not isinstance(done, str), done


@pytest.mark.parametrize(
    ("ids", "edited"),
    [
        ("r{:03d}", {"b": ["team", "coach"]}),
        ("r{}", {"b": ["team", "coach"]}),
        # one new hit: its row alone cannot tell that the ids do not ascend (keys looked up)
        ("r{}", {"d": ["kind 17"]}),
    ],
    ids=["ascending", "not-ascending", "not-ascending-one-hit"],
)
def test_rematch_survey_read_and_coded_in_pieces(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ids: str,
    edited: dict[str, list[str]],
) -> None:
    """A survey read in chunks of rows and coded in several batches still leaves one
    token file, and a terms-only edit re-matches from it (#16: at 10M words a survey is
    77 chunks and 90 batches). Every hits table is written from one chunk per column,
    whatever the batches: past ~1 MB a column's parquet bytes depend on its chunks."""
    import pyarrow as pa

    import qca.coding
    from qca.run.batches import Chunk

    layouts: list[list[list[int]]] = []  # per hits table written: its chunks per column
    write_table = pq.write_table

    def recording(table: pa.Table, where: object, *args: object, **kwargs: object) -> None:
        if table.column_names == list(HIT_COLUMNS):
            layouts.append([[len(c) for c in column.chunks] for column in table.columns])
        write_table(table, where, *args, **kwargs)

    monkeypatch.setattr(pq, "write_table", recording)
    batches = []

    class SmallChunk(Chunk):
        def take(self) -> object:
            frame = super().take()
            batches.append(frame)
            return frame

    monkeypatch.setattr("qca.ingest.surveys.CHUNK_ROWS", 7)
    monkeypatch.setattr(qca.coding, "Chunk", lambda limit: SmallChunk(400))
    rows = ["id,comment"] + [
        f"{ids.format(n)},{WORDS[n % len(WORDS)].replace(',', '')} the team was kind {n} and the coach "
        f"{'said no idea' if n % 3 else 'has a network'}"
        for n in range(60)
    ]
    survey = tmp_path / "survey.csv"
    survey.write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "before.yaml").write_text(_book(BASE), encoding="utf-8")
    (tmp_path / "after.yaml").write_text(_book({**BASE, **edited}), encoding="utf-8")
    extra = ("--text-column", "comment", "--id-column", "id")
    said = _edit_and_compare(
        runner, [str(survey)], tmp_path / "before.yaml", tmp_path / "after.yaml", tmp_path, *extra
    )
    assert len([b for b in batches if b is not None]) > 3  # the first run's batches, at least
    codes = len(BASE | edited)
    assert f"codebook edited: re-matched 1 of {codes} codes from the token store\n" in said
    _, rematched, cold = layouts  # the first run's, the edit's, the cold run's
    assert rematched == cold
    assert all(len(chunks) == 1 for layout in layouts for chunks in layout)


def test_rematch_debug_says_why_an_edit_is_coded_in_full(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QCA_DEBUG", "1")
    after = _demo_edit(tmp_path, "  window: 4", "  window: 2")
    said = _edit_and_compare(runner, DEMO, ROOT / "codebooks" / "esther.yaml", after, tmp_path)
    assert "codebook edited: coding every code (no code kept its rules)\n" in said
    assert REMATCHED not in said


def test_rematch_restores_arrow_allocator(tmp_path: Path) -> None:
    """The edit allocates Arrow buffers with malloc (fewer page faults than mimalloc on
    large tables) and gives the process its allocator back."""
    import pyarrow as pa

    seen: list[str] = []
    write_table = pq.write_table

    def recording(*args: object, **kwargs: object) -> None:
        seen.append(pa.default_memory_pool().backend_name)
        write_table(*args, **kwargs)

    before = pa.default_memory_pool().backend_name
    options = CodeOptions()
    (tmp_path / "before.yaml").write_text(_book(BASE), encoding="utf-8")
    (tmp_path / "after.yaml").write_text(_book({**BASE, "c": ["network", "coach"]}), "utf-8")
    code(DEMO, tmp_path / "before.yaml", outdir=tmp_path / "out", options=options)
    state = check_outputs(DEMO, tmp_path / "after.yaml", tmp_path / "out", options=options)
    pq.write_table = recording
    try:
        done = rematch(tmp_path / "after.yaml", state, options)
    finally:
        pq.write_table = write_table
    assert not isinstance(done, str), done
    assert seen == ["system", "system"]  # hits and codings
    assert pa.default_memory_pool().backend_name == before
