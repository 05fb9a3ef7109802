"""One token file per coded corpus, so that a codebook edit re-matches without spaCy (#16).

A full run with the cache in one process records the tokens of every batch it
matches (:class:`CorpusRecorder`, held by the run's
:class:`~qca.engine.store.TokenStore`) and, once the outputs are written, saves
them as one file named by the sha256 of the ``segments.parquet`` they belong to::

    .qca-cache/<fingerprint[:16]>/corpus/<sha256 of segments.parquet>.tokens

An edited re-run (:mod:`qca.rematch`) loads it with numpy alone and matches the
changed codes' terms on it (:func:`qca.engine.corpus_screen.match_corpus`); the terms are tokenised with the
tokenizer rules kept in the file (:func:`quick_term_rule`), never with spaCy.

Layout: ``QCATOKS3``, a little-endian uint64 (the header's length), the UTF-8
JSON header, then the sections the header lists, in order:

- ``rows`` (int32, per coded segment): its row in ``segments.parquet``;
- ``bounds`` (int32, per coded segment + 1): segment ``k`` owns tokens
  ``bounds[k]:bounds[k+1]``;
- ``starts``, ``orths`` (int32, per token): offset in the segment's text, string id;
- ``lemmas`` (int32), ``ends`` (uint8), per string id: the lemma's string id, and
  whether a token of the string ends a sentence;
- ``strings``, ``lowers``: each string and its matched form, NUL-joined UTF-8.

The header keeps the language, the pipeline's fingerprint, the number of rows of
``segments.parquet`` and the tokenizer's rules as regex sources (``tokenizer``).
A file that does not parse or check, or of another format, is ignored (the edit
then codes as a full run does).
"""

from __future__ import annotations

import hashlib
import json
import mmap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.engine.corpus_rules import term_words, tokenizer_rules
from qca.engine.pipeline import Pipeline, Tokens, normalise
from qca.errors import OutputError
from qca.io import atomic_write_bytes

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from qca.engine.lexicon import Lexicon
    from qca.engine.rules import Rules

#: Bump when the layout changes; files of other formats are ignored.
CORPUS_FORMAT = 3
_MAGIC = b"QCATOKS3"
_SEPARATOR = "\x00"


def corpus_path(folder: Path, fingerprint: str, key: str) -> Path:
    """Return the token file of the segments table with sha256 *key* in cache *folder*."""
    return folder / fingerprint[:16] / "corpus" / f"{key}.tokens"


class CorpusRecorder:
    """The tokens of every batch a run matches, to be saved as one corpus file.

    :func:`qca.engine.hits.code_batch` calls :meth:`add` per language group and
    :meth:`advance` per batch; the run calls :meth:`write` once its outputs are in
    place. Anything the file could not describe (two languages or pipelines, a
    ``--model`` pipeline, batches coded elsewhere) makes the recorder write nothing.
    """

    def __init__(self) -> None:
        self.offset = 0
        self.pipeline: Pipeline | None = None
        self.valid = True
        self.rules: Rules | None = None
        self.parts: list[tuple[Any, Any, Any, Any]] = []  # rows, sizes, starts, orths

    def add(
        self, pipeline: Pipeline, positions: Sequence[int], tokens: Tokens, rules: Rules
    ) -> None:
        """Record *tokens* of the batch's texts at *positions* (rows from the batch's first).

        *rules* are the run's: how they tokenised each term is kept too.
        """
        import numpy as np

        if not self.valid:
            return
        self.rules = rules
        if self.pipeline is None and pipeline.model is None:
            self.pipeline = pipeline
        if pipeline is not self.pipeline or tokens.lexicon is not pipeline.lexicon:
            self.valid = False
            return
        lexicon = pipeline.lexicon
        orths = tokens.orths
        expected = np.zeros(len(orths), dtype=np.bool_)
        if len(orths):
            expected[1:] = lexicon.sentence_ends[orths[:-1]]
            expected[tokens.bounds[:-1][np.diff(tokens.bounds) > 0]] = True
        lemmas = lexicon.lemma_ids[orths]
        same = np.array_equal(lemmas, tokens.lemma_ids)
        if not (same and np.array_equal(expected, tokens.sentence_starts)):
            self.valid = False  # not the lookup lemmas and sentence rule: a model's tokens
            return
        rows = self.offset + np.asarray(positions, dtype=np.int64)
        self.parts.append((rows, np.diff(tokens.bounds), tokens.starts.copy(), orths.copy()))

    def advance(self, count: int) -> None:
        """Move past a batch of *count* segments (rows of segments.parquet)."""
        self.offset += count

    def write(self, folder: Path, segments: Path, total: int) -> Path | None:
        """Save the tokens of the *total* segments of *segments* under cache *folder*.

        Returns the file written, or None when the recording cannot describe them
        or the folder cannot be written (the cache only saves time).
        """
        import numpy as np

        pipeline, rules = self.pipeline, self.rules
        if not self.valid or pipeline is None or rules is None or self.offset != total:
            return None
        lexicon = pipeline.lexicon
        if any(_SEPARATOR in s for s in lexicon.strings):
            return None
        tokenizer = tokenizer_rules(pipeline.nlp.tokenizer)
        if tokenizer is None:
            return None

        def joined(parts: list[Any], dtype: str) -> Any:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

        from qca.packed import gaps, pack

        rows = joined([p[0] for p in self.parts], "<i8")
        sizes = joined([p[1] for p in self.parts], "<i8")
        starts = joined([p[2] for p in self.parts], "<i8")
        orths = joined([p[3] for p in self.parts], "<i8")
        bounds = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=bounds[1:])
        count = len(lexicon.strings)
        strings, lowers = lexicon.strings, lexicon.lowers
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=count)
        # Most strings are their own matched form: keep the others only.
        differ = [n for n, (a, b) in enumerate(zip(strings, lowers, strict=True)) if a != b]
        blob = pack(
            {
                "rows": np.diff(rows, prepend=-1),
                "sizes": sizes,
                "gaps": gaps(bounds, starts, starts + lengths[orths]),
                "orths": orths,
                "lemmas": lexicon.lemma_ids[:count],
                "ends": lexicon.sentence_ends[:count].astype(np.bool_),
                "strings": _SEPARATOR.join(strings).encode("utf-8", "surrogatepass"),
                "differ": np.asarray(differ, dtype=np.int64),
                "lowers": _SEPARATOR.join(lowers[n] for n in differ).encode(
                    "utf-8", "surrogatepass"
                ),
            }
        )
        try:
            key = _sha256(segments)
        except OSError:
            return None
        header = {
            "format": CORPUS_FORMAT,
            "fingerprint": pipeline.fingerprint,
            "language": pipeline.language,
            "segments": total,
            "segments_sha256": key,
            "strings": count,
            "tokenizer": tokenizer,
            "terms": term_words(rules),
        }
        head = json.dumps(header, sort_keys=True).encode("utf-8")
        data = b"".join([_MAGIC, len(head).to_bytes(8, "little"), head, blob])
        path = corpus_path(folder, pipeline.fingerprint, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, data)
        except (OSError, OutputError):  # the cache only saves time
            return None
        return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class CorpusTokens:
    """A loaded corpus token file (see the module's docstring).

    Only what every edit reads is unpacked for the whole corpus: each token's
    string id and its gap to the token before; offsets, lemmas and sentence starts
    are worked out by :meth:`tokens` for the segments asked for (at ten million
    tokens each whole-corpus array costs 40 MB and a page fault per 4 KB).
    """

    header: dict[str, Any]
    rows: npt.NDArray[np.int32]
    bounds: npt.NDArray[np.int64]
    orths: npt.NDArray[np.int32]
    gaps: npt.NDArray[np.integer]
    lemmas: npt.NDArray[np.int32]
    ends: npt.NDArray[np.bool_]
    lexicon: Lexicon

    @property
    def language(self) -> str:
        return str(self.header["language"])

    def tokens(self, segments: npt.NDArray[np.intp]) -> Tokens:
        """Return the tokens of the corpus's coded *segments* (ascending numbers), as the
        run that saved the file had them: segment ``n`` of the result is ``segments[n]``."""
        import numpy as np

        from qca.packed import starts_from_gaps

        picked = np.asarray(segments, dtype=np.int64)
        low = self.bounds[picked]
        sizes = self.bounds[picked + 1] - low
        bounds = np.zeros(len(picked) + 1, dtype=np.int64)
        np.cumsum(sizes, out=bounds[1:])
        taken = np.repeat(low - bounds[:-1], sizes) + np.arange(int(bounds[-1]), dtype=np.int64)
        orths = self.orths[taken]
        lengths = np.fromiter(map(len, self.lexicon.strings), np.int64, len(self.lexicon.strings))
        widths = lengths[orths]  # each token's length, then its end
        starts = starts_from_gaps(bounds, self.gaps[taken], widths)
        widths += starts
        sentence = np.zeros(len(orths), dtype=np.bool_)
        if len(orths):
            sentence[1:] = self.ends[orths[:-1]]
            sentence[bounds[:-1][sizes > 0]] = True
        return Tokens(
            bounds.astype(np.int32),
            starts.astype(np.int32),
            widths.astype(np.int32),
            sentence,
            orths,
            self.lemmas[orths],
            self.lexicon,
        )


def load_corpus(path: Path, fingerprint: str, key: str, segments: int) -> CorpusTokens | None:
    """Return the token file at *path* if it is of *fingerprint*, *key* and *segments* rows."""
    import numpy as np

    from qca.engine.lexicon import Lexicon
    from qca.packed import PackError, unpack

    try:
        with (
            path.open("rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
        ):
            if data[:8] != _MAGIC:
                return None
            size = int.from_bytes(data[8:16], "little")
            header = json.loads(data[16 : 16 + size])
            expected = (CORPUS_FORMAT, fingerprint, key, segments)
            found = (header["format"], header["fingerprint"], header["segments_sha256"])
            if (*found, header["segments"]) != expected:
                return None
            with memoryview(data) as view:
                arrays = unpack(view[16 + size :])
        sizes = np.asarray(arrays["sizes"], dtype=np.int64)
        # Per token as Tokens keeps them: int32 (a value past int32 turns negative: refused below).
        orths = _int32(arrays.pop("orths"))
        lemmas = np.asarray(arrays["lemmas"]).astype(np.int32)
        rows = (np.cumsum(np.asarray(arrays["rows"], dtype=np.int64)) - 1).astype(np.int32)
        steps = np.array(arrays.pop("gaps"))  # a copy: a view would keep the whole body
        ends = np.asarray(arrays["ends"], dtype=np.bool_)
        strings = _text(arrays["strings"]).split(_SEPARATOR)
        lowers = list(strings)
        differ = np.asarray(arrays["differ"], dtype=np.int64).tolist()
        if differ:
            changed = _text(arrays["lowers"]).split(_SEPARATOR)
            for n, lower in zip(differ, changed, strict=True):
                lowers[n] = lower
    except (OSError, ValueError, KeyError, TypeError, IndexError, BufferError, PackError):
        return None  # BufferError: the map cannot close while a damaged blob's error holds it
    del arrays
    bounds = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=bounds[1:])
    count = int(header["strings"])
    if not count:
        strings = lowers = []
    checks = [
        len(strings) == len(lowers) == len(lemmas) == len(ends) == count,
        len(bounds) == len(rows) + 1 and len(steps) == len(orths),
        not len(bounds) or (int(bounds[0]) == 0 and int(bounds[-1]) == len(orths)),
        not len(rows) or (int(rows.min()) >= 0 and int(rows.max()) < segments),
        not len(orths) or (int(orths.min()) >= 0 and int(orths.max()) < count),
        not len(lemmas) or (int(lemmas.min()) >= 0 and int(lemmas.max()) < count),
        not len(sizes) or int(sizes.min()) >= 0,
    ]
    if not all(checks):
        return None
    lexicon = Lexicon(str, normalise, bool, strings=strings, lowers=lowers)
    return CorpusTokens(header, rows, bounds, orths, steps, lemmas, ends, lexicon)


def _int32(values: Any) -> npt.NDArray[np.int32]:
    """Return *values* (an unpacked integer array) as int32, without a copy when they are 32-bit."""
    import numpy as np

    found = np.asarray(values)
    if found.dtype.itemsize == 4:
        return found.view(np.int32)  # a uint32 past int32 turns negative: refused by the checks
    return found.astype(np.int32)


def _text(value: Any) -> str:
    """Return the UTF-8 text of a packed ``bytes`` member (a ValueError when it is not one)."""
    if not isinstance(value, bytes):
        raise ValueError("not text")
    return value.decode("utf-8", "surrogatepass")
