"""Tests of the token store's entry formats (issue #9, the warm re-code after an edit)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qca.codebook import read_codebook
from qca.engine.batch import HitColumns
from qca.engine.hits import Engine, match_texts
from qca.engine.match import Matcher, match_tokens
from qca.engine.pipeline import Pipeline, Pipelines, load_pipeline, tokenize
from qca.engine.rules import Rules, compile_rules
from qca.engine.store import TokenStore, texts_key
from qca.packed import pack, unpack

CODEBOOK = """\
name: Tiny
language: en
themes:
  will:
    codes:
      motivation:
        terms: [motivate, "want to"]
        regex: ['\\bfired up\\b']
  ideas:
    codes:
      idea:
        terms: [idea]
      unused:
        terms: [zebra]
"""

TEXTS = [
    "We were not motivated at all, but we want to try an idea.",
    "",
    "Fired up!  Ideas everywhere; ideas motivate us.",
    "Nothing here.",
]


def _rules(tmp_path: Path, text: str = CODEBOOK) -> Rules:
    path = tmp_path / "cb.yaml"
    path.write_text(text, encoding="utf-8")
    return compile_rules(read_codebook(path))


def _hits_for(store: TokenStore, rules: Rules, pipeline: Pipeline) -> HitColumns:
    """Return the hits of *rules* on TEXTS through *store* (a new engine on *pipeline*)."""
    return match_texts(Engine(rules, Pipelines("en", loaded=[pipeline])), "en", TEXTS, store)


def _rows(hits: HitColumns) -> list[tuple[Any, ...]]:
    return list(
        zip(
            hits.segment,
            hits.code,
            hits.order,
            hits.kind,
            hits.rule,
            hits.start,
            hits.end,
            hits.token,
            hits.negated,
            hits.cue,
            strict=True,
        )
    )


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return load_pipeline("en")


def _entries(folder: Path) -> tuple[Path, Path]:
    (tokens,) = folder.rglob("*.tok")
    (hits,) = folder.rglob("*.hits")
    return tokens, hits


def _read_hits(hits: Path) -> Any:
    return json.loads(bytes(unpack(hits.read_bytes())["json"]))


def _write_hits(hits: Path, data: Any) -> None:
    hits.write_bytes(pack({"json": json.dumps(data).encode()}))


def test_token_store_stored_hits_equal_fresh_hits(tmp_path: Path, pipeline: Pipeline) -> None:
    rules = _rules(tmp_path)
    fresh = match_tokens(rules, pipeline, "en", TEXTS, tokenize(pipeline, TEXTS))
    cold = _hits_for(TokenStore(tmp_path / "cache"), rules, pipeline)
    warm_cache = TokenStore(tmp_path / "cache")
    warm = _hits_for(warm_cache, rules, pipeline)
    assert (warm_cache.hits, warm_cache.misses) == (0, 0)  # every code's hits were stored
    assert len(_rows(fresh)) == 7 and any(fresh.negated)
    assert sorted(_rows(cold)) == sorted(_rows(warm)) == sorted(_rows(fresh))
    assert [type(v) for v in _rows(warm)[0]] == [int, int, int, str, str, int, int, int, bool, str]


def test_token_store_edit_matches_only_the_edited_code(
    tmp_path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    _hits_for(TokenStore(tmp_path / "cache"), _rules(tmp_path), pipeline)
    edited = _rules(tmp_path, CODEBOOK.replace("terms: [idea]", "terms: [idea, nothing]"))
    matched: list[list[str]] = []
    real = Matcher.match

    def spy(self: Matcher, *args: object) -> HitColumns:
        matched.append([self.rules.codes[r.code][1] for r in self.rules.terms["en"]])
        return real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Matcher, "match", spy)
    cache = TokenStore(tmp_path / "cache")
    warm = _hits_for(cache, edited, pipeline)
    assert matched == [["idea", "idea"]]
    assert (cache.hits, cache.misses) == (1, 0)  # the tokens came from the cache
    fresh = real(Matcher(edited, pipeline, "en"), TEXTS, tokenize(pipeline, TEXTS))
    assert _rows(warm) == sorted(_rows(fresh), key=lambda row: row[1])
    again = _hits_for(TokenStore(tmp_path / "cache"), edited, pipeline)
    assert matched == [["idea", "idea"]] and _rows(again) == _rows(warm)


def _old_entry(path: Path, stamp: str) -> None:
    """Write a token entry in the layout of format 3 (one uint8 .npz member) at *path*."""
    buffer = io.BytesIO()
    np.savez(buffer, entry=np.frombuffer(stamp.encode(), dtype=np.uint8))
    path.write_bytes(buffer.getvalue())


def test_token_store_old_format_entries_are_misses(tmp_path: Path, pipeline: Pipeline) -> None:
    rules = _rules(tmp_path)
    cache = TokenStore(tmp_path / "cache")
    expected = _rows(_hits_for(cache, rules, pipeline))
    tokens, hits = _entries(tmp_path / "cache")
    key = texts_key(pipeline.fingerprint, TEXTS)
    _old_entry(tokens, f"3/{pipeline.fingerprint}/{key}")
    stored = _read_hits(hits)
    old_rows = {
        k: [list(row) for row in zip(*columns, strict=True)]
        for k, columns in stored["codes"].items()
    }
    _write_hits(hits, {"stamp": f"2/{key}", "codes": old_rows})
    again = TokenStore(tmp_path / "cache")
    assert _rows(_hits_for(again, rules, pipeline)) == expected
    assert (again.hits, again.misses) == (0, 1)
    assert _read_hits(hits)["stamp"] == f"4/{key}"
    arrays = unpack(tokens.read_bytes())
    assert arrays["stamp"] == f"4/{pipeline.fingerprint}/{key}".encode()


def test_token_store_entry_keeps_only_what_cannot_be_derived(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    rules = _rules(tmp_path)
    _hits_for(TokenStore(tmp_path / "cache"), rules, pipeline)
    tokens, _ = _entries(tmp_path / "cache")
    arrays = unpack(tokens.read_bytes())
    fresh = tokenize(pipeline, TEXTS)
    assert sorted(arrays) == ["gaps", "lemma_of", "orths", "sentence", "sizes", "stamp", "strings"]
    assert arrays["sizes"].tolist() == np.diff(fresh.bounds).tolist()  # type: ignore[union-attr]
    assert arrays["gaps"].dtype == np.uint8  # type: ignore[union-attr]
    assert arrays["sentence"].tolist() == fresh.sentence_starts.tolist()  # type: ignore[union-attr]
    loaded = TokenStore(tmp_path / "cache").get_tokens(
        pipeline, texts_key(pipeline.fingerprint, TEXTS), np.array([len(t) for t in TEXTS])
    )
    assert loaded is not None
    for name in ("bounds", "starts", "ends", "sentence_starts", "orths", "lemma_ids"):
        assert getattr(loaded, name).tolist() == getattr(fresh, name).tolist(), name


def _flip_token_byte(tokens: Path, hits: Path) -> None:
    data = bytearray(tokens.read_bytes())
    data[-3] ^= 0xFF  # inside the compressed arrays: zstd or the CRC-32 fails
    tokens.write_bytes(bytes(data))
    hits.unlink()


def _hit_past_text(tokens: Path, hits: Path) -> None:
    stored = _read_hits(hits)
    columns = next(c for c in stored["codes"].values() if c[0])
    columns[5][0] = 10_000  # end far past the segment's text
    _write_hits(hits, stored)


def _ragged_columns(tokens: Path, hits: Path) -> None:
    stored = _read_hits(hits)
    next(c for c in stored["codes"].values() if c[0])[6].append(0)
    _write_hits(hits, stored)


def _truncated_hits(tokens: Path, hits: Path) -> None:
    hits.write_bytes(hits.read_bytes()[:-5])


def _token_ids_past_strings(tokens: Path, hits: Path) -> None:
    arrays = dict(unpack(tokens.read_bytes()))
    orths = np.asarray(arrays["orths"]).astype(np.int64)
    orths[-1] = 1_000_000  # the last token's string number
    arrays["orths"] = orths
    tokens.write_bytes(pack(arrays))
    hits.unlink()


def _truncated_tokens(tokens: Path, hits: Path) -> None:
    tokens.write_bytes(tokens.read_bytes()[:-10])
    hits.unlink()


@pytest.mark.parametrize(
    ("damage", "token_misses"),
    [
        (_flip_token_byte, 1),
        (_token_ids_past_strings, 1),
        (_truncated_tokens, 1),
        (_hit_past_text, 0),
        (_ragged_columns, 0),
        (_truncated_hits, 0),
    ],
)
def test_token_store_damaged_entries_are_rebuilt(
    tmp_path: Path, pipeline: Pipeline, damage: object, token_misses: int
) -> None:
    rules = _rules(tmp_path)
    expected = _rows(_hits_for(TokenStore(tmp_path / "cache"), rules, pipeline))
    tokens, hits = _entries(tmp_path / "cache")
    good = tokens.read_bytes()
    damage(tokens, hits)  # type: ignore[operator]
    cache = TokenStore(tmp_path / "cache")
    assert _rows(_hits_for(cache, rules, pipeline)) == expected
    assert (cache.hits, cache.misses) == (1 - token_misses, token_misses)
    assert tokens.read_bytes() == good  # rewritten the same
    third = TokenStore(tmp_path / "cache")
    assert _hits_for(third, rules, pipeline) == HitColumns(
        *[list(column) for column in zip(*expected, strict=True)]
    )
    assert (third.hits, third.misses) == (0, 0)  # the hits entry was written again too


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (["ab", "c"], ["a", "bc"]),
        (["abc"], ["ab", "c"]),
        (["a", ""], ["a"]),
        (["\u00e9"], ["e\u0301"]),
    ],
)
def test_token_store_texts_key_tells_texts_apart(first: list[str], second: list[str]) -> None:
    assert texts_key("fp", first) != texts_key("fp", second)
    assert texts_key("fp", first) == texts_key("fp", list(first))
    assert texts_key("fp", first) != texts_key("other", first)


def test_token_store_unwritable_folder_still_codes(tmp_path: Path, pipeline: Pipeline) -> None:
    rules = _rules(tmp_path)
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    cache = TokenStore(blocked)
    fresh = match_tokens(rules, pipeline, "en", TEXTS, tokenize(pipeline, TEXTS))
    assert sorted(_rows(_hits_for(cache, rules, pipeline))) == sorted(_rows(fresh))
    assert (cache.hits, cache.misses) == (0, 1)
    assert blocked.read_text(encoding="utf-8") == "a file where the cache folder would be"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "cb.yaml"]
