"""spaCy pipelines, lemma lookups and token arrays.

The engine tokenises each segment (one speaker turn, by default) with a blank
spaCy pipeline and keeps per-token arrays (character offsets, a lower-cased
lemma, sentence starts) rather than Docs. A :class:`Pipeline` numbers every
string it sees once (its :class:`~qca.engine.lexicon.Lexicon`), so matching
decides things per distinct word; :class:`Pipelines` loads each language's
pipeline once for one run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import CodingError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from spacy.language import Language

    from qca.engine.lexicon import Lexicon

#: Bump when the token arrays change shape or meaning (it is part of the cache key).
TOKENS_FORMAT = 2
#: Characters that end a sentence when a token consists only of them.
SENTENCE_END_CHARS = frozenset(".!?…;:") - frozenset(";:")


def normalise(word: str) -> str:
    """Return the form a token is matched on: lower-cased, curly apostrophes straightened."""
    # Two str.replace calls are several times faster than one str.translate.
    return word.lower().replace("\u2019", "'").replace("\u02bc", "'")


def ends_sentence(word: str) -> bool:
    """Return whether a token of this text ends a sentence (it is all ``.!?…``)."""
    return all(ch in SENTENCE_END_CHARS for ch in word)


@dataclass
class Pipeline:
    """A tokeniser for one language plus its lemma lookup table (loaded on first use).

    ``fingerprint`` identifies everything that decides the token arrays (spaCy
    version, language, model, lookup data), so cached arrays are reused only
    when they would come out the same.
    """

    language: str
    nlp: Language
    model: str | None
    fingerprint: str
    lemmas: dict[str, str] = field(default_factory=dict)
    _table: Mapping[str, str] | None = None
    _lexicon: Lexicon | None = None

    @property
    def lexicon(self) -> Lexicon:
        """Every string this pipeline has tokenised, numbered once."""
        if self._lexicon is None:
            from qca.engine.lexicon import Lexicon

            self._lexicon = Lexicon(self.lemma, normalise, ends_sentence)
        return self._lexicon

    def forget_strings(self) -> None:
        """Drop the lexicon and the lemma memo: the next batch numbers its strings afresh.

        Tokens and lemmas do not depend on what was seen before, so the outputs stay
        the same; tables built on the old lexicon (a matcher's) are rebuilt on the new one.
        """
        self._lexicon = None
        self.lemmas = {}

    @property
    def known_lexicon(self) -> Lexicon | None:
        """The lexicon if one was made (None before the first batch)."""
        return self._lexicon

    def lemma(self, lower: str) -> str:
        """Return the lower-cased lemma of a lower-cased word (the word when unknown)."""
        found = self.lemmas.get(lower)
        if found is None:
            if self._table is None:
                self._table = read_lemma_lookup(str(self.nlp.lang))
            value = self._table.get(lower)
            found = normalise(value) if isinstance(value, str) and value else lower
            found = lower if found == lower else found  # one object, not two equal ones
            self.lemmas[lower] = found
        return found

    @property
    def components(self) -> list[str]:
        return list(self.nlp.pipe_names)


class Pipelines:
    """The pipelines of one run, each loaded on first use and then kept.

    *model* is used for *language* (the codebook's); other languages get the blank
    pipeline. *loaded* pipelines are used for their languages instead of loading.
    Pickled, it keeps only the two settings (a worker loads its own).
    """

    def __init__(
        self, language: str, model: str | None = None, *, loaded: Iterable[Pipeline] = ()
    ) -> None:
        self.language = language
        self.model = model
        self._loaded: dict[str, Pipeline] = {p.language: p for p in loaded}

    def loaded(self) -> list[Pipeline]:
        """Return the pipelines loaded so far."""
        return list(self._loaded.values())

    def get(self, language: str) -> Pipeline:
        """Return the pipeline of *language* (see :func:`load_pipeline`)."""
        found = self._loaded.get(language)
        if found is None:
            model = self.model if language == self.language else None
            found = self._loaded[language] = load_pipeline(language, model)
        return found

    def __getstate__(self) -> dict[str, Any]:
        return {"language": self.language, "model": self.model}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["language"], state["model"])  # type: ignore[misc]


def _lookups_version() -> str:
    try:
        import spacy_lookups_data
    except ImportError:
        return ""
    return str(getattr(spacy_lookups_data, "__version__", ""))


def read_lemma_lookup(language: str) -> Mapping[str, str]:
    """Return the lemma lookup table of *language* from spacy-lookups-data ({} when none).

    Read straight from the package's JSON into a dict: several times faster than
    building a spaCy ``Lookups`` table, and a dict lookup by string is cheaper too.
    """
    import gzip

    from spacy.util import registry

    try:
        tables = registry.lookups.get(language)
    except Exception:  # noqa: BLE001 - catalogue raises its own error type for a missing language
        return {}
    path = tables.get("lemma_lookup") if isinstance(tables, Mapping) else None
    if path is None:
        return {}
    candidates = [Path(str(path)), Path(str(path) + ".gz")]
    for candidate in candidates:
        if not candidate.is_file():
            continue
        opener: Any = gzip.open if candidate.suffix == ".gz" else open
        with opener(candidate, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
        if not isinstance(data, dict):
            return {}
        # JSON keys are strings; copy only when a value is not (rare, and slower)
        if all(type(v) is str for v in data.values()):
            return data
        return {str(k): str(v) for k, v in data.items()}
    return {}


def load_pipeline(language: str, model: str | None = None) -> Pipeline:
    """Return a new pipeline for *language*: blank + lookup lemmas, or the saved/installed *model*.

    Each call loads afresh; keep the pipeline (or use :class:`Pipelines`) to reuse it.

    Raises:
        CodingError: When *model* cannot be loaded, or *language* has no spaCy language class.
    """
    import spacy

    if model:
        try:
            nlp = spacy.load(model)
        except (OSError, ImportError, ValueError) as exc:
            if "E050" in str(exc):
                reason = "it is neither an installed pipeline nor a folder saved with nlp.to_disk"
            else:
                reason = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
            raise CodingError(
                f"cannot load spaCy pipeline {model!r}: {reason}; check the name or path, "
                "or leave out --model"
            ) from None
        meta = f"{nlp.meta.get('name', '')}-{nlp.meta.get('version', '')}"
    else:
        try:
            nlp = spacy.blank(language)
        except (ImportError, KeyError, ValueError):
            raise CodingError(
                f"spaCy has no language {language!r}; use a language code such as 'en' or 'sv' "
                "in the codebook's `language` or the segments' language attribute"
            ) from None
        meta = ""
    key = {
        "format": TOKENS_FORMAT,
        "spacy": spacy_version(),
        "language": nlp.lang,
        "model": model or "",
        "model_meta": meta,
        "components": list(nlp.pipe_names),
        "lookups": _lookups_version(),
    }
    fingerprint = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    return Pipeline(language, nlp, model, fingerprint)


def spacy_version() -> str:
    """Return the installed spaCy version."""
    from spacy.about import __version__

    return str(__version__)


# --- token arrays ------------------------------------------------------------


@dataclass
class Tokens:
    """Token arrays of several segments, concatenated.

    Segment ``k`` owns tokens ``bounds[k]:bounds[k+1]``. ``starts``/``ends`` are
    offsets into the segment's own text; whitespace tokens are left out, so a
    phrase matches across line breaks. Strings are numbered by the pipeline's
    :class:`~qca.engine.lexicon.Lexicon`: ``orths`` holds each token's exact text
    as an id there and ``lemma_ids`` its lower-cased lemma, so matching works per
    distinct word, not per token.
    """

    bounds: npt.NDArray[np.int32]
    starts: npt.NDArray[np.int32]
    ends: npt.NDArray[np.int32]
    sentence_starts: npt.NDArray[np.bool_]
    orths: npt.NDArray[np.int32]
    lemma_ids: npt.NDArray[np.int32]
    lexicon: Lexicon
    #: ``(chunk_bounds, chunk_ids)`` of :class:`qca.engine.lexicon.TokenArrays` when known
    #: (not from the store).
    chunks: tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]] | None = None

    @property
    def strings(self) -> list[str]:
        """Every string of the lexicon, by id."""
        return self.lexicon.strings

    @property
    def lemmas(self) -> list[str]:
        """Return the lower-cased lemma of every token."""
        strings = self.strings
        return [strings[i] for i in self.lemma_ids.tolist()]

    def lowers(self) -> list[str]:
        """Return the matched form (:func:`normalise`) of every string, by string id."""
        return self.lexicon.lowers


def _sentence_starts(
    lexicon: Lexicon, bounds: npt.NDArray[np.int32], orths: npt.NDArray[np.int32]
) -> npt.NDArray[np.bool_]:
    """Return where sentences start: after a token of only ``.!?…``, and at each segment."""
    import numpy as np

    starts = np.zeros(len(orths), dtype=np.bool_)
    if len(orths):
        starts[1:] = lexicon.sentence_ends[orths[:-1]]
        starts[bounds[:-1][np.diff(bounds) > 0]] = True
    return starts


def tokenize(pipeline: Pipeline, texts: Sequence[str]) -> Tokens:
    """Tokenise *texts* into :class:`Tokens` (lemmas from the lookup table or the model).

    The blank pipeline tokenises each distinct whitespace-free chunk once
    (:meth:`qca.engine.lexicon.Lexicon.tokenize`); a ``--model`` pipeline runs
    in full (:func:`tokenize_with_spacy`).
    """
    if pipeline.model is not None:
        return tokenize_with_spacy(pipeline, texts)
    lexicon = pipeline.lexicon
    batch = lexicon.tokenize(pipeline.nlp, texts)
    orths = batch.strings
    return Tokens(
        batch.bounds,
        batch.starts,
        batch.ends,
        _sentence_starts(lexicon, batch.bounds, orths),
        orths,
        lexicon.lemma_ids[orths],
        lexicon,
        (batch.chunk_bounds, batch.chunk_ids),
    )


def tokenize_with_spacy(
    pipeline: Pipeline, texts: Sequence[str], *, batch_size: int = 256
) -> Tokens:
    """Tokenise *texts* by running the whole pipeline on each (the reference, and ``--model``).

    Token attributes are read as arrays (``Doc.to_array``), never as Token objects.
    """
    import numpy as np
    from spacy.attrs import IDX, IS_SPACE, LEMMA, LENGTH, ORTH, SENT_START

    nlp = pipeline.nlp
    lexicon = pipeline.lexicon
    use_model_lemmas = pipeline.model is not None and bool(pipeline.components)
    attrs = [IDX, LENGTH, IS_SPACE, ORTH]
    if pipeline.model is not None:
        attrs += [SENT_START, LEMMA]
    docs = nlp.pipe(texts, batch_size=batch_size) if nlp.pipe_names else map(nlp.make_doc, texts)
    arrays = []
    counts = [0]
    model_sentences: list[bool] = []
    for doc in docs:
        array = doc.to_array(attrs)
        if len(array):
            array = array[array[:, 2] == 0]
        arrays.append(array)
        counts.append(len(array))
        if pipeline.model is not None:
            model_sentences.append(doc.has_annotation("SENT_START"))
    bounds = np.cumsum(np.asarray(counts, dtype=np.int64)).astype(np.int32)
    width = len(attrs)
    table = np.concatenate(arrays) if arrays else np.zeros((0, width), dtype=np.uint64)
    if len(table) == 0:
        table = np.zeros((0, width), dtype=np.uint64)
    starts = table[:, 0].astype(np.int32)
    ends = starts + table[:, 1].astype(np.int32)
    hashes, inverse = np.unique(table[:, 3], return_inverse=True)
    store = nlp.vocab.strings
    ids = lexicon.intern([store[int(h)] for h in hashes.tolist()])
    orths: npt.NDArray[np.int32] = ids[inverse.reshape(-1)].astype(np.int32)
    lemma_ids = lexicon.lemma_ids[orths].copy()
    sentence_starts = _sentence_starts(lexicon, bounds, orths)
    if pipeline.model is not None and len(starts):
        with_model = np.repeat(np.asarray(model_sentences, dtype=np.bool_), np.diff(bounds))
        sentence_starts |= with_model & (table[:, 4].astype(np.int64) == 1)
    if use_model_lemmas and len(starts):
        model_lemmas = table[:, 5]
        where = np.flatnonzero(model_lemmas)
        lemmas = [normalise(store[int(h)]) for h in model_lemmas[where].tolist()]
        keep = [n for n, lemma in enumerate(lemmas) if lemma]
        if keep:
            found = lexicon.intern([lemmas[n] for n in keep])
            lemma_ids[where[keep]] = found
    return Tokens(bounds, starts, ends, sentence_starts, orths, lemma_ids.astype(np.int32), lexicon)
