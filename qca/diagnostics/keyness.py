"""Keyness: words and phrases over-represented in a code's units (``qca suggest``).

Each candidate (a lemma, or two or more consecutive lemmas that neither start nor end
with a stop word of the language's spaCy stop list) is counted once per unit it occurs
in. For target units (the code's segments, or the gold positives) against the rest:

    a = target units with the term      n1 = target units
    b = other units with the term       n2 = other units

``g2`` is Dunning's log-likelihood statistic of that 2x2 table,
``G2 = 2 * sum(O * ln(O / E))`` over the four cells, with ``E`` the count expected when
the term is as common in both (``0 * ln 0 = 0``); 10.83 is p < .001 (chi-square, 1 df).
The effect size is Hardie's log ratio, ``log2((a / n1) / (b / n2))`` with a zero count
replaced by 0.5: each point doubles how much more often the term occurs in target units.
``precision`` is ``a / (a + b)``: the share of units with the term that are target units
(what the term would add to the code, were it a rule).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qca.models import PRECISION
from qca.models_diagnostics import (
    EXAMPLES,
    G2,
    G2_P001,
    LOG_RATIO,
    REST,
    SUGGEST_COLUMNS,
    TARGET,
    TERM,
)

if TYPE_CHECKING:
    import pandas as pd

    from qca.engine.pipeline import Pipeline

#: Characters of context shown either side of an example match.
CONTEXT_CHARS = 40


@dataclass(frozen=True)
class SuggestOptions:
    """Which candidates ``qca suggest`` keeps.

    Attributes:
        top: At most this many terms, highest G2 first.
        min_count: Keep terms in at least this many target units.
        min_g2: Keep terms with G2 at least this (10.83: p < .001).
        max_words: Longest phrase, in words.
        examples: Example contexts per term.
    """

    top: int = 20
    min_count: int = 3
    min_g2: float = G2_P001
    max_words: int = 2
    examples: int = 2


def g2(a: float, b: float, n1: float, n2: float) -> float:
    """Return the log-likelihood G2 of *a* of *n1* target units against *b* of *n2* others.

    Examples:
        >>> round(g2(10, 10, 100, 1000), 4)
        22.9078
        >>> g2(1, 10, 10, 100)
        0.0
    """
    observed = (a, n1 - a, b, n2 - b)
    total = n1 + n2
    with_term = a + b
    expected = (
        n1 * with_term / total,
        n1 * (total - with_term) / total,
        n2 * with_term / total,
        n2 * (total - with_term) / total,
    )
    value = sum(o * math.log(o / e) for o, e in zip(observed, expected, strict=True) if o > 0)
    return max(0.0, 2.0 * value)


def log_ratio(a: float, b: float, n1: float, n2: float) -> float:
    """Return Hardie's log ratio: log2 of the relative frequencies, a zero count as 0.5.

    Examples:
        >>> log_ratio(10, 10, 100, 1000)
        3.321928094887362
    """
    return math.log2(((a or 0.5) / n1) / ((b or 0.5) / n2))


def _is_word(text: str) -> bool:
    return len(text) > 1 and any(ch.isalpha() for ch in text)


def unit_ngrams(
    pipeline: Pipeline, texts: Sequence[str], *, max_words: int
) -> list[dict[str, tuple[int, int]]]:
    """Return, per text, each candidate n-gram of lemmas -> the character span of its first use."""
    from qca.engine.pipeline import normalise, tokenize

    tokens = tokenize(pipeline, texts)
    strings = tokens.strings
    lemmas = [strings[i] for i in tokens.lemma_ids.tolist()]
    words = [normalise(strings[i]) for i in tokens.orths.tolist()]
    starts, ends = tokens.starts.tolist(), tokens.ends.tolist()
    stop = {normalise(w) for w in pipeline.nlp.Defaults.stop_words}
    bounds = tokens.bounds.tolist()
    found: list[dict[str, tuple[int, int]]] = []
    for k in range(len(texts)):
        grams: dict[str, tuple[int, int]] = {}
        lo, hi = bounds[k], bounds[k + 1]
        for i in range(lo, hi):
            if not _is_word(words[i]) or words[i] in stop or lemmas[i] in stop:
                continue
            for j in range(i, min(i + max_words, hi)):
                if not _is_word(words[j]):
                    break
                if words[j] in stop or lemmas[j] in stop:
                    continue
                grams.setdefault(" ".join(lemmas[i : j + 1]), (starts[i], ends[j]))
        found.append(grams)
    return found


def _context(text: str, span: tuple[int, int]) -> str:
    """Return the match in brackets with up to CONTEXT_CHARS of text either side, on one line."""
    import re

    start, end = span
    left = text[max(0, start - CONTEXT_CHARS) : start]
    right = text[end : end + CONTEXT_CHARS]
    left = ("…" if start > CONTEXT_CHARS else "") + left
    right = right + ("…" if end + CONTEXT_CHARS < len(text) else "")
    return re.sub(r"\s+", " ", f"{left}[{text[start:end]}]{right}").strip()


def _covered(term: str, known: Iterable[str]) -> bool:
    """Whether *term* is a known term or contains one (the codebook already matches it)."""
    padded = f" {term} "
    return any(f" {k} " in padded for k in known)


def suggest_terms(
    texts: Mapping[str, str],
    target: Iterable[str],
    *,
    pipeline: Pipeline,
    known: Iterable[str] = (),
    options: SuggestOptions | None = None,
) -> pd.DataFrame:
    """Rank the terms over-represented in the *target* units of *texts* (``SUGGEST_COLUMNS``).

    Args:
        texts: Unit id -> text; every unit is target or rest.
        target: The target unit ids.
        pipeline: Tokeniser, lemmas and stop words of the language.
        known: Terms already in the codebook (lemma strings): these and phrases that
            contain them are left out.
        options: Thresholds and sizes.
    """
    import pandas as pd

    options = options or SuggestOptions()
    ids = sorted(texts)
    chosen = set(target) & set(ids)
    grams = unit_ngrams(pipeline, [texts[i] for i in ids], max_words=options.max_words)
    in_target: Counter[str] = Counter()
    in_rest: Counter[str] = Counter()
    where: dict[str, list[tuple[str, tuple[int, int]]]] = {}
    for unit, found in zip(ids, grams, strict=True):
        if unit in chosen:
            in_target.update(found.keys())
            for gram, span in found.items():
                places = where.setdefault(gram, [])
                if len(places) < options.examples:
                    places.append((unit, span))
        else:
            in_rest.update(found.keys())
    n1, n2 = len(chosen), len(ids) - len(chosen)
    lemma_known = {" ".join(pipeline.lemma(w.lower()) for w in k.split()) for k in known}
    lemma_known |= {k.lower() for k in known}
    rows = []
    if n1 and n2:
        for gram, a in in_target.items():
            b = in_rest.get(gram, 0)
            if a < options.min_count or a / n1 <= b / n2 or _covered(gram, lemma_known):
                continue
            score = g2(a, b, n1, n2)
            if score < options.min_g2:
                continue
            examples = " | ".join(_context(texts[u], span) for u, span in where[gram])
            # show the words as first written (counted by lemma: "grounds" counts as "ground")
            unit, (start, end) = where[gram][0]
            shown = " ".join(texts[unit][start:end].split()).lower()
            rows.append((shown, a, b, a / (a + b), score, log_ratio(a, b, n1, n2), examples))
    table = pd.DataFrame(rows, columns=list(SUGGEST_COLUMNS))
    table = table.astype({TARGET: "int64", REST: "int64", PRECISION: "float64"})
    table = table.astype({G2: "float64", LOG_RATIO: "float64", TERM: object, EXAMPLES: object})
    table = table.sort_values([G2, TERM], ascending=[False, True], kind="stable")
    return table.head(options.top).reset_index(drop=True)


def terms_yaml(table: pd.DataFrame, *, code: str, n1: int) -> str:
    """Return *table*'s terms as a YAML ``terms:`` list to paste into a codebook.

    Every term is double-quoted (so ``yes``/``no`` stay words); a comment gives its counts.
    """
    import json

    count = f"{len(table)} term{'s' * (len(table) != 1)}"
    lines = [f"# qca suggest {code}: {count} over-represented in {n1} units", "terms:"]
    for term, a, b, score in zip(table[TERM], table[TARGET], table[REST], table[G2], strict=True):
        lines.append(
            f"  - {json.dumps(term, ensure_ascii=False)}  # {a} in / {b} out, G2 {score:.1f}"
        )
    if len(table) == 0:
        lines[-1] = "terms: []"
    return "\n".join(lines) + "\n"
