"""Token patterns matched over spec tables; spaCy's Matcher for what a plan cannot say.

:class:`Patterns` owns the tables of one set of patterns on one pipeline: per
token spec, a flag per distinct (word, lemma) or per string id, grown as new
strings are seen, so each is decided once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qca.engine.batch import Batch, HitColumns
from qca.engine.pipeline import Pipeline, Tokens
from qca.engine.plans import Condition, Plan, plan, run_plan, simple_spec

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from qca.engine.lexicon import Grow, Lexicon

#: A token pattern rule: code number, order, the rule's text, its alternatives.
PatternRule = tuple[int, int, str, list[list[dict[str, Any]]]]


def needs_spacy(patterns: Sequence[PatternRule]) -> bool:
    """Whether :class:`Patterns` of *patterns* would need spaCy's Matcher (it imports spaCy)."""
    specs: dict[str, int] = {}
    for _, _, _, alternatives in patterns:
        if len(alternatives) != 1 or plan(alternatives[0], specs) is None:
            return True
    return any(simple_spec(json.loads(text)) is None for text in specs)


class SpecTable:
    """Whether each token of a batch satisfies a simple token spec, looked up when asked.

    Indexed like a boolean array (by a token position, an array of them or a
    slice); each condition is a flag per string id, read through the tokens'
    string or lemma ids, so no table is built for the whole batch.
    """

    def __init__(
        self, parts: list[tuple[npt.NDArray[np.bool_], npt.NDArray[np.int32]]], count: int
    ) -> None:
        import numpy as np

        self.parts = parts
        #: A spec without conditions (``{}``) matches every token.
        self.every = None if parts else np.ones(count, dtype=np.bool_)

    def __getitem__(self, index: Any) -> Any:
        if self.every is not None:
            return self.every[index]
        flags, ids = self.parts[0]
        found = flags[ids[index]]
        for flags, ids in self.parts[1:]:
            found = found & flags[ids[index]]
        return found


class Patterns:
    """The token patterns of some rules: plans, plus spaCy Matchers for specs and leftovers.

    spaCy is imported only when a spec or a pattern needs its Matcher (see :func:`needs_spacy`).
    """

    def __init__(self, patterns: Sequence[PatternRule], pipeline: Pipeline) -> None:
        self.patterns = tuple(patterns)
        self.pipeline = pipeline
        specs: dict[str, int] = {}
        self.plans: dict[int, Plan] = {}
        self.leftover: list[int] = []
        for number, (_, _, _, alternatives) in enumerate(self.patterns):
            found = plan(alternatives[0], specs) if len(alternatives) == 1 else None
            if found is None:
                self.leftover.append(number)
            else:
                self.plans[number] = found
        self.bodies: list[dict[str, Any]] = [json.loads(text) for text in specs]
        #: Per spec decided by spaCy, a flag per row of :attr:`rows`.
        self.tables: list[list[bool]] = [[] for _ in specs]
        self.rows: dict[tuple[str, str], int] = {}
        self.simple: dict[int, list[Condition]] = {}
        for number, body in enumerate(self.bodies):
            conditions = simple_spec(body)
            if conditions is not None:
                self.simple[number] = conditions
        self.flags: dict[tuple[int, int], Grow] = {}
        self.lexicon: Lexicon | None = None
        self.spec_matcher: Any = None
        self.matcher: Any = None
        if len(self.simple) < len(specs):  # spaCy only when a plan cannot say
            from spacy.matcher import Matcher as SpacyMatcher

            self.spec_matcher = SpacyMatcher(pipeline.nlp.vocab)
            for number, body in enumerate(self.bodies):
                if number not in self.simple:
                    self.spec_matcher.add(str(number), [[body]])
        if self.leftover:
            from spacy.matcher import Matcher as SpacyMatcher

            self.matcher = SpacyMatcher(pipeline.nlp.vocab)
            for number in self.leftover:
                self.matcher.add(str(number), self.patterns[number][3])
        #: Per plan, its steps up to the first required one; the plans screened by the
        #: conditions ``(spec, condition number)`` (see :meth:`plan_starts`).
        self.leading: dict[int, list[tuple[int, str]]] = {}
        self.screened: list[int] = []
        self.keys: list[tuple[int, int]] = []
        self._plan_screens()

    def _plan_screens(self) -> None:
        """Find each plan's leading steps and the plans one screen can serve."""
        for number, found in self.plans.items():
            steps = []
            for spec, op in found.steps:
                steps.append((spec, op))
                if op not in ("?", "*"):
                    break
            self.leading[number] = steps
            first = [
                next((n for n, c in enumerate(self.simple.get(spec, ())) if not c.negated), None)
                for spec, op in steps
            ]
            if all(n is not None and op != "!" for n, (_, op) in zip(first, steps, strict=True)):
                self.screened.append(number)
                self.keys += [
                    (spec, n) for n, (spec, _) in zip(first, steps, strict=True) if n is not None
                ]
        self.keys = list(dict.fromkeys(self.keys))

    def spec_tables(self, batch: Batch) -> list[Any]:
        """Return, per token spec, whether each token of the batch satisfies it (indexable).

        Simple specs are decided once per distinct string and read per token only
        where asked (:class:`SpecTable`). The others are run by spaCy's Matcher over
        one Doc holding each (word, lemma) pair not seen in an earlier batch once,
        so their meaning is spaCy's own.
        """
        out: list[Any] = [None] * len(self.bodies)
        for number in self.simple:
            out[number] = SpecTable(self.spec_flags(number, batch.tokens), len(batch.tokens.orths))
        if self.spec_matcher is not None:
            for number, table in self.matcher_tables(batch).items():
                out[number] = table
        return out

    def spec_flags(
        self, number: int, tokens: Tokens
    ) -> list[tuple[npt.NDArray[np.bool_], npt.NDArray[np.int32]]]:
        """Return the conditions of simple spec *number*: (flag per string id, the tokens' ids)."""

        parts = []
        for n, condition in enumerate(self.simple[number]):
            flags = self.condition_flags(number, n, tokens.lexicon)
            ids = tokens.lemma_ids if condition.field == "lemma" else tokens.orths
            parts.append((flags, ids))
        return parts

    def condition_flags(self, number: int, n: int, lexicon: Lexicon) -> npt.NDArray[np.bool_]:
        """Return whether each string id of *lexicon* meets condition *n* of simple spec *number*."""
        import numpy as np

        from qca.engine.lexicon import Grow

        if self.lexicon is not lexicon:
            self.lexicon, self.flags = lexicon, {}
        flags = self.flags.get((number, n))
        if flags is None:
            flags = self.flags[(number, n)] = Grow(np.bool_)
        self.simple[number][n].extend(flags, lexicon)
        return flags.view

    def string_screen(self, lexicon: Lexicon) -> tuple[Any, Any] | None:
        """Return, per string id of *lexicon*, whether a token of it (by its text, then by
        its lemma) may start a match of some plan; None when a pattern may start anywhere.

        A token pattern's match holds only tokens of its segment, so a segment with no
        such token has no match (:mod:`qca.engine.corpus_screen` skips it).
        """
        import numpy as np

        if self.leftover or len(self.screened) < len(self.plans):
            return None
        by_orth = np.zeros(len(lexicon.strings), dtype=np.bool_)
        by_lemma = np.zeros(len(lexicon.strings), dtype=np.bool_)
        for spec, n in self.keys:
            flags = self.condition_flags(spec, n, lexicon)
            if self.simple[spec][n].field == "lemma":
                by_lemma |= flags
            else:
                by_orth |= flags
        return by_orth, by_lemma

    def plan_starts(self, tables: list[Any], tokens: Tokens) -> dict[int, npt.NDArray[np.intp]]:
        """Return, per plan, the tokens where a match may start (its leading steps allow it).

        The leading steps are those up to the first required one. A plan whose
        leading steps are all simple specs with a condition that is not negated can
        only start where one of those conditions holds: all such plans share one
        screen (one lookup per token), and only the tokens it passes are checked.
        The other plans are checked at every token.
        """
        import numpy as np

        count = len(tokens.orths)
        out: dict[int, npt.NDArray[np.intp]] = {}
        if self.screened:
            lexicon = tokens.lexicon
            by_orth = np.zeros(len(lexicon.strings), dtype=np.bool_)
            by_lemma = np.zeros(len(lexicon.strings), dtype=np.bool_)
            for spec, n in self.keys:
                condition = self.simple[spec][n]
                flags = self.flags[(spec, n)].view  # extended by spec_tables
                if condition.field == "lemma":
                    by_lemma |= flags
                else:
                    by_orth |= flags
            places = np.flatnonzero(by_orth[tokens.orths] | by_lemma[tokens.lemma_ids])
            for number in self.screened:
                mask = np.zeros(len(places), dtype=np.bool_)
                for spec, _ in self.leading[number]:
                    mask |= tables[spec][places]
                out[number] = places[mask]
        everywhere = slice(0, count)
        for number in self.plans:
            if number in out:
                continue
            mask = np.zeros(count, dtype=np.bool_)
            for spec, op in self.leading[number]:
                mask |= ~tables[spec][everywhere] if op == "!" else tables[spec][everywhere]
            out[number] = np.flatnonzero(mask)
        return out

    def matcher_tables(self, batch: Batch) -> dict[int, npt.NDArray[np.bool_]]:
        """Return the token tables of the specs that spaCy's Matcher decides."""
        import numpy as np
        from spacy.tokens import Doc

        tokens = batch.tokens
        width = len(tokens.strings) + 1
        keys = tokens.orths.astype(np.int64) * width + tokens.lemma_ids.astype(np.int64)
        pairs, pair_of = np.unique(keys, return_inverse=True)
        strings = tokens.strings
        named = [(strings[k // width], strings[k % width]) for k in pairs.tolist()]
        known = self.rows
        new = [pair for pair in named if pair not in known]
        vocab = self.pipeline.nlp.vocab
        if new:
            doc = Doc(
                vocab,
                words=[word for word, _ in new],
                spaces=[True] * len(new),
                lemmas=[lemma for _, lemma in new],
            )
            base = len(known)
            for table in self.tables:
                table.extend([False] * len(new))
            for match_id, a, _ in self.spec_matcher(doc):
                self.tables[int(vocab.strings[match_id])][base + a] = True
            for offset, pair in enumerate(new):
                known[pair] = base + offset
        rows = np.fromiter((known[pair] for pair in named), dtype=np.intp, count=len(named))
        token_rows = rows[pair_of.reshape(-1)]
        return {
            number: np.asarray(self.tables[number], dtype=np.bool_)[token_rows]
            for number in range(len(self.bodies))
            if number not in self.simple
        }

    def match(self, texts: Sequence[str], batch: Batch, hits: HitColumns) -> None:
        """Add the hits of the token patterns: planned ones per distinct word, others by Matcher."""
        if not len(batch.tokens.orths):
            return
        bounds = batch.bounds
        if self.plans:
            tables = self.spec_tables(batch)
            starts_of = self.plan_starts(tables, batch.tokens)
            for number, found_plan in self.plans.items():
                code, order, rule_text, _ = self.patterns[number]
                positions = starts_of[number]
                found = [
                    (k, s, e - 1)
                    for s, k in zip(positions.tolist(), batch.owners(positions), strict=True)
                    for e in sorted(run_plan(found_plan, tables, s, bounds[k + 1]))
                ]
                starts, ends = batch.spans([f[1] for f in found], [f[2] for f in found])
                rule = (code, order, "pattern", rule_text)
                for (k, s, _), start, end in zip(found, starts, ends, strict=True):
                    hits.add(k, rule, (start, end, s))
        if self.leftover:
            self.match_leftover(texts, batch, hits)

    def match_leftover(self, texts: Sequence[str], batch: Batch, hits: HitColumns) -> None:
        """Add the hits of the patterns no plan can say, found by spaCy's Matcher."""
        from spacy.tokens import Doc

        vocab = self.pipeline.nlp.vocab
        tokens = batch.tokens
        bounds, starts, ends = batch.bounds, batch.starts, batch.ends
        # One Doc for the whole batch (per-Doc overhead dominates on short segments);
        # a match that crosses from one segment into the next is dropped.
        words: list[str] = []
        spaces: list[bool] = []
        owner: list[int] = []
        for k, text in enumerate(texts):
            first, last = bounds[k], bounds[k + 1]
            if first == last:  # no tokens (an empty or all-whitespace text)
                continue
            words += [text[s:e] for s, e in zip(starts[first:last], ends[first:last], strict=True)]
            spaces += [ends[i] < starts[i + 1] for i in range(first, last - 1)] + [True]
            owner += [k] * (last - first)
        sentence_starts = tokens.sentence_starts.tolist()
        for k in range(len(texts)):
            if bounds[k] < bounds[k + 1]:
                sentence_starts[bounds[k]] = True
        doc = Doc(
            vocab, words=words, spaces=spaces, lemmas=tokens.lemmas, sent_starts=sentence_starts
        )
        for match_id, a, b in self.matcher(doc):
            i, j = a, b - 1
            if owner[i] != owner[j]:
                continue
            code, order, rule_text, _ = self.patterns[int(vocab.strings[match_id])]
            hits.add(owner[i], (code, order, "pattern", rule_text), (starts[i], ends[j], i))
