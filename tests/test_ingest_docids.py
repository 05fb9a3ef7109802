"""Ingest at scale: claimed doc_ids are held compactly, and the results do not change."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from qca.ingest import DocIds, IngestOptions, claim_doc_ids, find_sources, iter_corpus, read_source
from qca.ingest import docids as docids_module
from qca.ingest.groups import Claims
from tests.test_ingest_fast_paths import _assert_batches_equal, _write_inputs


def test_ingest_docids_doc_ids_claims_and_answers_like_a_dict() -> None:
    ids = DocIds()
    assert ids.isdisjoint(["a"]) and len(ids) == 0
    ids.claim(["a", "b", "Café", "\ud800x"], "one.csv")
    ids["c"] = "two.md"
    ids.add("d")
    assert len(ids) == 6
    assert [ids.get(k) for k in ("a", "b", "Café", "\ud800x", "c", "d", "e")] == [
        "one.csv", "one.csv", "one.csv", "one.csv", "two.md", "", None
    ]  # fmt: skip
    assert ids.get("e", "x.md") == "x.md"
    assert "c" in ids and "e" not in ids and 3 not in ids
    assert ids.isdisjoint(["e", "f"]) and not ids.isdisjoint(["e", "c"])


def test_ingest_docids_doc_ids_tell_apart_ids_with_one_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(docids_module, "hash", len, raising=False)  # every 1-char id collides
    monkeypatch.setattr(DocIds, "PENDING", 2)  # ids claimed one by one are merged early
    ids = DocIds()
    ids.claim(["a", "bb", "c", "a"], "one.csv")  # "c" shares a's hash; "a" repeats
    ids["d"] = "two.md"
    ids["e"] = "two.md"  # with d: merged into the sorted hashes
    ids["h"] = "three.md"  # waits
    ids.update(["ee", "f"])
    assert [ids.get(k) for k in ("a", "bb", "c", "d", "e", "h", "ee", "f", "g", "hh")] == [
        "one.csv", "one.csv", "one.csv", "two.md", "two.md", "three.md", "", "", None, None
    ]  # fmt: skip
    assert not ids.isdisjoint(["h"]) and not ids.isdisjoint(["g", "e"])
    assert ids.isdisjoint(["g", "hh", "iii"])
    assert not ids.isdisjoint(["g", "f"])


def test_ingest_docids_claiming_with_doc_ids_or_a_dict_gives_the_same_batches(
    tmp_path: Path,
) -> None:
    paths = _write_inputs(tmp_path)
    options = IngestOptions(text_column="comment", participants=tmp_path / "people.csv")
    sources = find_sources(paths, options)
    read = [
        pickle.loads(pickle.dumps(b))
        for path in sources.files
        for b in read_source(path, options, sources)
    ]
    plain: dict[str, str] = {}
    compact = DocIds()
    with_dict = [claim_doc_ids(b, plain) for b in read]
    with_ids = [claim_doc_ids(b, compact) for b in read]
    _assert_batches_equal(with_ids, with_dict)
    assert sum(len(b.problems) for b in with_ids) > 0  # duplicates were dropped
    assert len(compact) == len(plain)
    assert {k: compact.get(k) for k in plain} == plain


def _last_survey(folder: Path) -> Path:
    """Write a survey that repeats an id of an earlier file (r1) and one of its own (z1)."""
    path = folder / "z.csv"
    path.write_text("id,comment\nr1,again\nz1,new\nz2,fine\nz1,twice\n", encoding="utf-8")
    return path


def test_ingest_docids_last_file_is_checked_but_not_kept(tmp_path: Path) -> None:
    paths = [*_write_inputs(tmp_path), _last_survey(tmp_path)]
    options = IngestOptions(text_column="comment", participants=tmp_path / "people.csv")
    sources = find_sources(paths, options)
    read = [
        pickle.loads(pickle.dumps(b))
        for path in sources.files
        for b in read_source(path, options, sources)
    ]
    kept, checked = DocIds(), DocIds()
    with_keep = [claim_doc_ids(b, kept) for b in read]
    last = sources.files[-1]
    without = [claim_doc_ids(b, checked, keep=Path(b.source) != last) for b in read]
    _assert_batches_equal(without, with_keep)
    problems = " ".join(str(p) for p in with_keep[-1].problems)
    assert "'r1'" in problems and "'z1'" in problems  # used by an earlier file; used twice
    assert "z2" in kept and "z2" not in checked and len(checked) < len(kept)


def test_ingest_docids_claims_give_what_iter_corpus_gives(tmp_path: Path) -> None:
    paths = [*_write_inputs(tmp_path), _last_survey(tmp_path)]
    paths += [paths[0]]  # named twice: read once
    options = IngestOptions(text_column="comment")
    claims = Claims(find_sources(paths, options), options)
    assert claims.last == paths[-2]  # its doc_ids are checked, not kept
    claimed = [b for path in claims.sources.files for b in claims.alone(path)]
    _assert_batches_equal(claimed, list(iter_corpus(paths, options)))
