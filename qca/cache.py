"""The token cache: re-coding after a codebook edit skips tokenisation.

Each entry holds the token arrays (:class:`qca.matching.Tokens`) of one batch of
segment texts, as an ``.npz`` file (no pickles) named by the sha256 of the texts
and filed under the pipeline's fingerprint::

    .qca-cache/<fingerprint[:16]>/<key[:2]>/<key>.npz

Beside each entry, ``<key>.hits.json`` keeps the hits of each code on those
texts under the code's key (:meth:`qca.matching.Rules.code_keys`), so that
re-coding after an edit matches only the codes whose rules changed.

Entries are written atomically. An entry that is corrupt, truncated, foreign
(another key or pipeline inside) or inconsistent with its texts is ignored and
rebuilt; a cache folder that cannot be written is used read-only or not at all.
Deleting the folder is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import QcaError
from qca.io import atomic_write_bytes

if TYPE_CHECKING:
    from qca.matching import HitColumns, Pipeline, Rules, Tokens

_SEPARATOR = "\x00"


def texts_key(fingerprint: str, texts: Sequence[str]) -> str:
    """Return the cache key of *texts* tokenised by the pipeline with *fingerprint*."""
    digest = hashlib.sha256(fingerprint.encode("utf-8"))
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        digest.update(f"{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


@dataclass
class TokenCache:
    """Token arrays on disk under *folder*; ``None`` disables the cache.

    ``hits`` and ``misses`` count lookups (for the run summary and tests).
    """

    folder: Path | None
    hits: int = 0
    misses: int = 0
    _subsets: dict[tuple[int, tuple[int, ...]], tuple[Rules, Rules]] = field(
        default_factory=dict, repr=False
    )

    def path(self, fingerprint: str, key: str) -> Path:
        """Return the file of the entry *key* of the pipeline with *fingerprint*."""
        assert self.folder is not None
        return self.folder / fingerprint[:16] / key[:2] / f"{key}.npz"

    def tokens_for(self, pipeline: Pipeline, texts: Sequence[str]) -> Tokens:
        """Return the tokens of *texts*, from the cache when a valid entry exists."""
        from qca.matching import tokenize

        if self.folder is None:
            return tokenize(pipeline, texts)
        key = texts_key(pipeline.fingerprint, texts)
        entry = self.path(pipeline.fingerprint, key)
        tokens = self._load(entry, key, pipeline, texts)
        if tokens is not None:
            self.hits += 1
            return tokens
        self.misses += 1
        tokens = tokenize(pipeline, texts)
        self._store(entry, key, pipeline.fingerprint, tokens)
        return tokens

    def hits_for(
        self, rules: Rules, pipeline: Pipeline, language: str, texts: Sequence[str]
    ) -> HitColumns:
        """Return the hits of *rules* on *texts*, matching only codes with no stored hits."""
        from qca.matching import HitColumns, match_tokens, tokenize

        if self.folder is None:
            return match_tokens(rules, pipeline, language, texts, tokenize(pipeline, texts))
        key = texts_key(pipeline.fingerprint, texts)
        entry = self.path(pipeline.fingerprint, key).with_suffix(".hits.json")
        keys = rules.code_keys(language, pipeline.fingerprint)
        stored = self._load_hits(entry, key, texts)
        missing = [n for n, code_key in enumerate(keys) if code_key not in stored]
        out = HitColumns()
        if missing:
            tokens = self.tokens_for(pipeline, texts)
            fresh = match_tokens(self._only(rules, missing), pipeline, language, texts, tokens)
            for n in range(len(fresh.segment)):
                stored.setdefault(keys[fresh.code[n]], []).append(
                    [
                        fresh.segment[n],
                        fresh.order[n],
                        fresh.kind[n],
                        fresh.rule[n],
                        fresh.start[n],
                        fresh.end[n],
                        fresh.token[n],
                        fresh.negated[n],
                    ]
                )
            for n in missing:
                stored.setdefault(keys[n], [])
            self._store_hits(entry, key, {k: stored[k] for k in keys})
        for code, code_key in enumerate(keys):
            for segment, order, kind, rule, start, end, token, negated in stored[code_key]:
                out.add(segment, (code, order, kind, rule), (start, end, token))
                out.negated.append(negated)
        return out

    def _only(self, rules: Rules, codes: list[int]) -> Rules:
        """Return ``rules.only(codes)``, the same object each time (compiled matchers are kept)."""
        key = (id(rules), tuple(codes))
        found = self._subsets.get(key)
        if found is None or found[0] is not rules:
            found = self._subsets[key] = (rules, rules.only(codes))
        return found[1]

    @staticmethod
    def _load_hits(entry: Path, key: str, texts: Sequence[str]) -> dict[str, list[list[Any]]]:
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
            if data["stamp"] != key:
                return {}
            codes: dict[str, list[list[Any]]] = data["codes"]
            for rows in codes.values():
                for segment, _, _, _, start, end, _, _ in rows:
                    if not 0 <= start < end <= len(texts[segment]):
                        return {}
        except Exception:  # noqa: BLE001 - any unreadable entry is rebuilt
            return {}
        return codes

    @staticmethod
    def _store_hits(entry: Path, key: str, codes: dict[str, list[list[Any]]]) -> None:
        text = json.dumps({"stamp": key, "codes": codes}, ensure_ascii=False)
        with contextlib.suppress(OSError, QcaError):
            entry.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(entry, text.encode("utf-8"))

    @staticmethod
    def _load(entry: Path, key: str, pipeline: Pipeline, texts: Sequence[str]) -> Tokens | None:
        import numpy as np

        from qca.matching import Tokens

        try:
            data = entry.read_bytes()
        except OSError:
            return None
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                stamp = archive["stamp"].tobytes().decode("utf-8")
                bounds = archive["bounds"].astype(np.int32)
                starts = archive["starts"].astype(np.int32)
                ends = archive["ends"].astype(np.int32)
                sentence_starts = archive["sentence_starts"].astype(np.bool_)
                orths = archive["orths"].astype(np.int32)
                lemma_ids = archive["lemma_ids"].astype(np.int32)
                joined = archive["strings"].tobytes().decode("utf-8")
        except Exception:  # noqa: BLE001 - any unreadable entry is rebuilt
            return None  # corrupt or foreign: rebuild
        strings = joined.split(_SEPARATOR) if joined else []
        if stamp != f"{pipeline.fingerprint}/{key}":
            return None
        n = len(starts)
        if len(bounds) != len(texts) + 1 or int(bounds[-1]) != n or int(bounds[0]) != 0:
            return None
        if len(ends) != n or len(sentence_starts) != n or len(orths) != n or len(lemma_ids) != n:
            return None
        if n and (np.any(np.diff(bounds) < 0) or np.any(ends < starts) or np.any(starts < 0)):
            return None
        ids = np.concatenate([orths, lemma_ids])
        if n and (int(ids.min()) < 0 or int(ids.max()) >= len(strings)):
            return None
        for k, text in enumerate(texts):
            if bounds[k + 1] > bounds[k] and int(ends[bounds[k + 1] - 1]) > len(text):
                return None
        ids = pipeline.lexicon.intern(strings)
        return Tokens(
            bounds, starts, ends, sentence_starts, ids[orths], ids[lemma_ids], pipeline.lexicon
        )

    @staticmethod
    def _store(entry: Path, key: str, fingerprint: str, tokens: Tokens) -> None:
        import numpy as np

        # Only the strings this entry uses, numbered afresh (ids are per process).
        used, inverse = np.unique(
            np.concatenate([tokens.orths, tokens.lemma_ids]), return_inverse=True
        )
        inverse = inverse.reshape(-1).astype(np.int32)
        n = len(tokens.orths)
        strings = [tokens.strings[i] for i in used.tolist()]
        if any(_SEPARATOR in s for s in strings):
            return  # a NUL inside a token would not survive the join
        buffer = io.BytesIO()
        np.savez(
            buffer,
            stamp=np.frombuffer(f"{fingerprint}/{key}".encode(), dtype=np.uint8),
            bounds=tokens.bounds,
            starts=tokens.starts,
            ends=tokens.ends,
            sentence_starts=tokens.sentence_starts,
            orths=inverse[:n],
            lemma_ids=inverse[n:],
            strings=np.frombuffer(_SEPARATOR.join(strings).encode("utf-8"), dtype=np.uint8),
        )
        # The cache only saves time: a folder we cannot write is not an error.
        with contextlib.suppress(OSError, QcaError):
            entry.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(entry, buffer.getvalue())
