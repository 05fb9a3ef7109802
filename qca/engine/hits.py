"""Segments table -> hits table: the engine's public face.

:func:`code_batch` codes one batch of segments: tokens from the store or the
tokeniser, each code's hits from the store or the :class:`~qca.engine.match.Matcher`,
and what it computed stored. The serial run and the ``--jobs`` workers both call
it with an :class:`Engine`, which holds everything one run derives from its rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from itertools import chain
from typing import TYPE_CHECKING, Any

from qca.codebook.model import Codebook
from qca.engine.batch import HitColumns
from qca.engine.conditions import FALLBACK, apply_conditions
from qca.engine.match import Matcher
from qca.engine.pieces import match_slices, segment_texts
from qca.engine.pipeline import Pipelines, tokenize
from qca.engine.rules import Rules, compile_rules
from qca.engine.selection import segment_languages, selected_segments
from qca.engine.store import HIT_FIELDS, TokenStore, text_lengths, texts_key
from qca.engine.texts import text_spans
from qca.models import (
    CODE,
    DOC_ID,
    END,
    HIT_COLUMNS,
    MATCH,
    NEGATED,
    NEGATION_CUE,
    RULE,
    RULE_KIND,
    SEGMENT_ID,
    SPEAKER,
    START,
    TEXT,
    THEME,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd


class HitTypes:
    """Categorical dtypes for THEME, CODE, RULE_KIND and RULE: every value the rules give.

    One dtype object per run, so the batches share their categories instead of
    each holding a copy; each category's code is looked up in a dict.
    """

    def __init__(self, rules: Rules) -> None:
        import pandas as pd

        self.rules = rules
        rule_texts = {r.rule for found in rules.terms.values() for r in found}
        rule_texts |= {p[2] for p in rules.patterns} | {r[2] for r in rules.regexes}
        kinds = {"term", "phrase", "pattern", "regex"} | ({FALLBACK} if rules.fallbacks else set())
        rule_texts |= {FALLBACK} if rules.fallbacks else set()
        kinds |= {r.kind for found in rules.terms.values() for r in found}
        values = {
            THEME: {theme for theme, _ in rules.codes},
            CODE: {code for _, code in rules.codes},
            RULE_KIND: kinds,
            RULE: rule_texts,
        }
        # Sorted, so that a categorical sorts as its strings would (see sort_hits).
        self.dtypes = {k: pd.CategoricalDtype(sorted(v)) for k, v in values.items()}
        self._numbers = {
            id(dtype): (dtype, {c: n for n, c in enumerate(dtype.categories.tolist())})
            for dtype in self.dtypes.values()
        }

    def compact(self, values: Sequence[str], dtype: Any) -> Any:
        """Return *values* as a categorical of *dtype*, or as they are if one is not a category.

        Every batch of a run gets the same categories, so ``pd.concat`` keeps the
        columns categorical; :func:`sort_hits` turns them back into strings.
        """
        import numpy as np
        import pandas as pd

        known = self._numbers.get(id(dtype))
        if known is None or known[0] is not dtype:  # a dtype not made here
            column = pd.Categorical(list(values), dtype=dtype)
            return values if (column.codes < 0).any() else column
        codes = np.fromiter(map(known[1].get, values, [-1] * len(values)), np.int64, len(values))
        if len(codes) and int(codes.min()) < 0:
            return values
        return pd.Categorical.from_codes(codes, dtype=dtype)

    def compact_codes(self, hit_codes: Sequence[int]) -> tuple[Any, Any]:
        """Return the THEME and CODE columns of hits of code numbers *hit_codes*."""
        import numpy as np
        import pandas as pd

        numbers = np.asarray(hit_codes, dtype=np.int64)
        out = []
        for name, part in ((THEME, 0), (CODE, 1)):
            dtype = self.dtypes[name]
            positions = self._numbers[id(dtype)][1]
            lookup = np.asarray([positions[pair[part]] for pair in self.rules.codes], np.int64)
            out.append(pd.Categorical.from_codes(lookup[numbers], dtype=dtype))
        return out[0], out[1]


#: Distinct chunks a pipeline's lexicon may hold before a batch starts a fresh one (about
#: 350 MB). 1M words of benchmarks/gen.py's survey text hold about 170,000 chunks, 10M
#: about 480,000. Re-learning is dear: at 200,000 a 10M-word run reset six times, peaked
#: at 530 MB instead of 608 MB and took twice the CPU time (docs/performance.md, #16).
LEXICON_CHUNKS = 1_000_000


class Engine:
    """What one run derives from its compiled rules: pipelines, matchers, keys and dtypes.

    Built once per run (each worker inherits or rebuilds its own) and passed to
    :func:`code_batch`; pickled, it keeps only the rules and pipeline settings.

    Examples:
        >>> engine = Engine.from_codebook(read_codebook("codebooks/esther.yaml"))  # doctest: +SKIP
        >>> hits = code_batch(segments, engine)  # doctest: +SKIP
    """

    def __init__(self, rules: Rules, pipelines: Pipelines | None = None) -> None:
        self.rules = rules
        self.pipelines = pipelines or Pipelines(rules.language)
        self._matchers: dict[tuple[str, tuple[int, ...]], Matcher] = {}
        self._code_keys: dict[str, list[str]] = {}
        self._types: HitTypes | None = None

    @classmethod
    def from_codebook(
        cls,
        codebook: Codebook,
        languages: Iterable[str] = (),
        *,
        model: str | None = None,
        count_nested: bool = False,
        pipelines: Pipelines | None = None,
    ) -> Engine:
        """Compile *codebook* (see :func:`~qca.engine.rules.compile_rules`) into an engine.

        *pipelines* reuses pipelines already loaded (then *model* is its setting, not this one).
        """
        pipelines = pipelines or Pipelines(codebook.language, model)
        rules = compile_rules(codebook, languages, pipelines=pipelines, count_nested=count_nested)
        return cls(rules, pipelines)

    def matcher(self, language: str, codes: Sequence[int] | None = None) -> Matcher:
        """Return the matcher of *language*, of only *codes* when given (each built once)."""
        every = len(self.rules.codes)
        key = tuple(range(every) if codes is None else codes)
        found = self._matchers.get((language, key))
        if found is None:
            rules = self.rules if len(key) == every else self.rules.only(key)
            found = Matcher(rules, self.pipelines.get(language), language)
            self._matchers[(language, key)] = found
        return found

    def bound_lexicons(self, limit: int | None = None) -> None:
        """Give a pipeline a fresh lexicon once its old one holds more than *limit* chunks.

        A lexicon keeps every distinct chunk seen (~350 bytes each), and a real vocabulary
        grows with the corpus (#16). ``limit=0`` frees them once a run has coded everything.
        """
        limit = LEXICON_CHUNKS if limit is None else limit
        for pipeline in self.pipelines.loaded():
            known = pipeline.known_lexicon
            if known is not None and len(known.chunks) > limit:
                pipeline.forget_strings()
                # the matchers' tables hold the old lexicon: rebuilt on first use
                self._matchers.clear()

    def code_keys(self, language: str) -> list[str]:
        """Return ``rules.code_keys`` for *language* and its pipeline (computed once)."""
        found = self._code_keys.get(language)
        if found is None:
            fingerprint = self.pipelines.get(language).fingerprint
            found = self._code_keys[language] = self.rules.code_keys(language, fingerprint)
        return found

    @property
    def types(self) -> HitTypes:
        """The categorical dtypes of this run's hits."""
        if self._types is None:
            self._types = HitTypes(self.rules)
        return self._types

    def __getstate__(self) -> dict[str, Any]:
        return {"rules": self.rules, "pipelines": self.pipelines}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["rules"], state["pipelines"])  # type: ignore[misc]


def empty_hits() -> pd.DataFrame:
    """Return an empty hits table with the right columns and dtypes."""
    import pandas as pd

    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in HIT_COLUMNS})
    return frame.astype({START: "int64", END: "int64", NEGATED: "bool"})


def _offsets(values: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    """Return character offsets as int32 when they fit (half the memory while batches wait)."""
    import numpy as np

    if len(values) and int(values.max()) > np.iinfo(np.int32).max:
        return values
    return values.astype(np.int32)


def match_texts(
    engine: Engine,
    language: str,
    texts: Sequence[str],
    store: TokenStore | None = None,
    positions: Sequence[int] = (),
) -> HitColumns:
    """Return the hits of *engine*'s rules on *texts* of *language*, through *store* if given.

    With a store: each code's hits on these texts come from it when stored under
    the code's key; only the other codes are matched, on tokens from the store or
    the tokeniser; what was computed is stored. Hits come code after code then.
    When the store records the corpus (``store.corpus``), the tokens are recorded
    there as those of the batch's segments at *positions*.
    """
    pipeline = engine.pipelines.get(language)
    if store is None:
        return engine.matcher(language).match(texts, tokenize(pipeline, texts))
    fingerprint = pipeline.fingerprint
    key = texts_key(fingerprint, texts)
    lengths = text_lengths(texts)
    keys = engine.code_keys(language)
    stored, missing = store.get_hits(fingerprint, key, keys, lengths)
    tokens = None
    if missing or store.corpus is not None:
        tokens = store.get_tokens(pipeline, key, lengths)
        if tokens is None:
            tokens = tokenize(pipeline, texts)
            store.put_tokens(fingerprint, key, tokens)
        if store.corpus is not None:
            store.corpus.add(pipeline, positions, tokens, engine.rules)
    if missing and tokens is not None:
        fresh = engine.matcher(language, missing).match(texts, tokens)
        rows: dict[int, list[int]] = {n: [] for n in missing}
        for n, code in enumerate(fresh.code):
            rows[code].append(n)
        columns = [getattr(fresh, name) for name in HIT_FIELDS]
        for code in missing:
            picked = rows[code]
            stored[keys[code]] = [[column[n] for n in picked] for column in columns]
        store.put_hits(fingerprint, key, {k: stored[k] for k in keys})
    # One column at a time, code after code (as the codes were matched).
    parts = [stored[k] for k in keys]
    joined = [list(chain.from_iterable(p[f] for p in parts)) for f in range(len(HIT_FIELDS))]
    segment, order, kind, rule, start, end, token, negated, cue = joined
    return HitColumns(
        segment=segment,
        code=list(chain.from_iterable([n] * len(p[0]) for n, p in enumerate(parts))),
        order=order,
        kind=kind,
        rule=rule,
        start=start,
        end=end,
        token=token,
        negated=negated,
        cue=cue,
    )


def code_batch(
    segments: pd.DataFrame,
    engine: Engine,
    *,
    include_interviewer: bool = False,
    store: TokenStore | None = None,
    sort: bool = True,
) -> pd.DataFrame:
    """Code one batch of a segments table with *engine*'s rules; return its hits table.

    Args:
        segments: Columns ``qca.models.SEGMENT_COLUMNS`` (+ attributes such as ``language``).
        engine: The run's :class:`Engine` (its rules, pipelines and matchers).
        include_interviewer: Code interviewer turns and ``exclude_speakers`` too.
        store: Token arrays and each code's hits are read from (and kept in) it.
        sort: Sort the hits (:func:`sort_hits`). A caller that joins batches sorts once;
            unsorted hits are compact while they wait: ``theme``, ``code``, ``rule_kind``
            and ``rule`` are categoricals (the same categories in every batch of a run)
            and ``start``/``end`` int32; :func:`sort_hits` gives the output dtypes back.
    """
    import numpy as np
    import pandas as pd

    rules = engine.rules
    if store is None or store.corpus is None:  # a corpus recording keeps one lexicon's ids
        engine.bound_lexicons()
    mask = selected_segments(
        segments, rules.exclude_speakers, include_interviewer=include_interviewer
    )
    languages = segment_languages(segments, rules.language)
    groups: dict[str, list[int]] = {}
    for n, keep in enumerate(mask.tolist()):
        if keep:
            groups.setdefault(languages[n], []).append(n)
    # a text cut into pieces stays in the table's buffer (no 50 MB string, #19)
    texts_all = segment_texts(segments[TEXT]) if len(segments) else []
    frames = []
    for language in sorted(groups):
        positions = groups[language]
        texts = [texts_all[n] for n in positions]
        hits = match_slices(
            partial(match_texts, engine, language, store=store),
            texts,
            positions,
            engine.pipelines.get(language),
            store,
        )
        # after the pieces are joined: max_words and fallbacks see whole segments
        hits = apply_conditions(hits, rules, texts)
        if not hits.segment:
            continue
        types, dtypes = engine.types, engine.types.dtypes
        where = np.asarray(positions, dtype=np.intp)[np.asarray(hits.segment, dtype=np.intp)]
        # each column as numpy, taken at the hits' rows (no frame of all columns)
        columns: dict[str, Any] = {
            name: segments[name].to_numpy()[where] for name in (DOC_ID, SEGMENT_ID, SPEAKER)
        }
        offsets = segments[START].to_numpy(dtype=np.int64)[where]
        columns[THEME], columns[CODE] = types.compact_codes(hits.code)
        columns[RULE_KIND] = types.compact(hits.kind, dtypes[RULE_KIND])
        columns[RULE] = types.compact(hits.rule, dtypes[RULE])
        columns[MATCH] = text_spans(texts, hits.segment, hits.start, hits.end)
        columns[START] = _offsets(offsets + np.asarray(hits.start, dtype=np.int64))
        columns[END] = _offsets(offsets + np.asarray(hits.end, dtype=np.int64))
        columns[NEGATED] = np.asarray(hits.negated, dtype=np.bool_)
        columns[NEGATION_CUE] = hits.cue
        del hits, where, offsets  # the hits' lists go before the frame is made (#19)
        frames.append(pd.DataFrame(columns))
        del columns
    if store is not None and store.corpus is not None:
        store.corpus.advance(len(segments))
    if not frames:
        return empty_hits()
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return sort_hits(table) if sort else table


def sort_hits(hits: pd.DataFrame) -> pd.DataFrame:
    """Return *hits* sorted by doc_id, segment_id, start, code, end (the output order).

    Takes :func:`code_batch` tables, compact (unsorted) or not, and returns the
    output dtypes: strings, int64 offsets, a bool ``negated``.
    """
    import numpy as np
    import pandas as pd

    # A categorical sorts by its categories, sorted as strings sort (HitTypes).
    ordered = hits.sort_values([DOC_ID, SEGMENT_ID, START, CODE, END], kind="stable")
    ordered = ordered.reset_index(drop=True)
    kinds = {START: "int64", END: "int64", NEGATED: "bool"}
    for name in (THEME, CODE, RULE_KIND, RULE):
        dtype = ordered[name].dtype
        # Object: batches whose categoricals could not share categories (see HitTypes.compact).
        if isinstance(dtype, pd.CategoricalDtype) or (dtype == np.dtype(object) and len(ordered)):
            kinds[name] = "str"
    return ordered.astype(kinds)[list(HIT_COLUMNS)]


def code_segments(
    segments: pd.DataFrame,
    codebook: Codebook,
    *,
    include_interviewer: bool = False,
    model: str | None = None,
    count_nested: bool = False,
    pipelines: Pipelines | None = None,
) -> pd.DataFrame:
    """Code a segments table with *codebook*; return one row per hit (``HIT_COLUMNS``).

    Overlapping hits of one code in one segment count once (the longest) unless
    *count_nested* (see docs/codebook.md, "Overlapping matches"). Pass one *pipelines*
    to many calls to load each spaCy pipeline once (about 0.3 s each) rather than per call.

    Examples:
        >>> hits = code_segments(segments, codebook)  # doctest: +SKIP
        >>> hits[["segment_id", "code", "match"]].head()  # doctest: +SKIP
    """
    languages = sorted(set(segment_languages(segments, codebook.language)))
    engine = Engine.from_codebook(
        codebook, languages, model=model, count_nested=count_nested, pipelines=pipelines
    )
    return code_batch(segments, engine, include_interviewer=include_interviewer)
