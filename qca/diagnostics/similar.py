"""``qca suggest --segments``: a second opinion that never codes by itself (issue #22, item 4).

A logistic regression on TF-IDF word and word-pair features of the segments' text
learns what a code's segments (the run's codings, or the gold positives) share, and
scores every codable segment: how much it resembles them. The scores become a
review queue (the segments not coded with the code, most alike first) that only a
person turns into codings, with ``qca review CODE --queue``; or a coding table of
the model as its own coder (score at or above a threshold), for ``qca agree``.

A segment the model learns from is scored by a model fitted on the other folds of
a stratified k-fold split (out-of-fold), so its score is not its own label said
back; the same out-of-fold scores give the cross-validated precision and recall.
Every step is seeded: the same folder, labels and seed give the same scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qca.diagnostics.gold import SEGMENT_LEVEL, DiagnosticsError, Gold, Units, unit_texts
from qca.diagnostics.suggest import resolve_code
from qca.models import CODE, CODER, DOC_ID, SEGMENT_ID, TEXT, UNIT_ID
from qca.models_diagnostics import CODED, MODEL_CODING_COLUMNS, QUEUE_COLUMNS, SCORE

if TYPE_CHECKING:
    import pandas as pd

#: Fewest units in (and out of) the code the model learns from: one per fold.
MIN_POSITIVES = 5
#: Characters of a segment's text in the review queue.
QUEUE_TEXT_CHARS = 200


@dataclass(frozen=True)
class SimilarOptions:
    """How the model is trained and cut.

    Attributes:
        threshold: A segment scoring at least this is coded by the model as a coder.
        seed: The random state of the fold split and of the solver.
        folds: Folds of the cross-validation (at most; fewer when a class is smaller).
    """

    threshold: float = 0.5
    seed: int = 0
    folds: int = 5


@dataclass(frozen=True)
class SimilarSegments:
    """Every codable segment scored by the model, and how far to trust it.

    Attributes:
        code: The code (a code id, or a gold category with no code).
        scores: ``doc_id, segment_id, score, coded, text`` for every codable segment in
            segment order; ``coded`` is True where the run codes the segment with *code*.
        level: What the model learnt from: ``segment`` or ``document`` units.
        source: Whose labels it learnt: ``the run's codings`` or ``the gold labels``.
        training: Units it learnt from.
        positives: Of them, the units in the code.
        folds: Folds of the cross-validation.
        precision: Cross-validated precision at the threshold (nan if nothing scored above it).
        recall: Cross-validated recall at the threshold.
        f1: Their harmonic mean.
        average_precision: Cross-validated average precision of the ranking (threshold-free).
        options: The options used.
    """

    code: str
    scores: pd.DataFrame
    level: str
    source: str
    training: int
    positives: int
    folds: int
    precision: float
    recall: float
    f1: float
    average_precision: float
    options: SimilarOptions


def _pipeline(seed: int) -> object:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    # Balanced class weights: a code is rare, and unweighted a rare class rarely scores 0.5.
    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode"),
        LogisticRegression(class_weight="balanced", max_iter=1000, random_state=seed),
    )


def _training(
    units: Units, code: str, gold: Gold | None
) -> tuple[str, list[str], list[str], list[int]]:
    """Return (level, unit ids, texts, 0/1 labels) the model learns from."""
    if gold is None:
        texts = unit_texts(units, SEGMENT_LEVEL)
        coded = set(units.codings.loc[units.codings[CODE] == code, SEGMENT_ID])
        ids = list(texts)
        return SEGMENT_LEVEL, ids, [texts[i] for i in ids], [int(i in coded) for i in ids]
    every = unit_texts(units, gold.level)
    ids = [u for u in gold.units if u in every]
    positives = gold.positives.get(code, frozenset())
    return gold.level, ids, [every[u] for u in ids], [int(u in positives) for u in ids]


def _source(gold: Gold | None) -> str:
    return "the gold labels" if gold is not None else "the run's codings"


def _units(n: int) -> str:
    return "1 unit is" if n == 1 else f"{n} units are"


def _check_counts(code: str, labels: list[int], gold: Gold | None) -> None:
    where = _source(gold)
    positives = sum(labels)
    negatives = len(labels) - positives
    more = "label more units in the gold file" if gold else "code more units, or pass --gold LABELS"
    if positives < MIN_POSITIVES:
        raise DiagnosticsError(
            f"{code}: {_units(positives)} in this code in {where}; the model needs at least "
            f"{MIN_POSITIVES} to learn from; {more}"
        )
    if negatives < MIN_POSITIVES:
        raise DiagnosticsError(
            f"{code}: {_units(negatives)} out of this code in {where}; the model needs at "
            f"least {MIN_POSITIVES} units out of it to learn from"
        )


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def score_segments(
    units: Units,
    name: str,
    *,
    gold: Gold | None = None,
    options: SimilarOptions | None = None,
) -> SimilarSegments:
    """Score every codable segment of *units* by how much it resembles code *name*'s units.

    Without *gold* the model learns from the codable segments, those the run codes with
    the code being the positives; with *gold*, from the gold units and their positives.

    Raises:
        DiagnosticsError: When *name* is not a code, or fewer than :data:`MIN_POSITIVES`
            units are in (or out of) it.

    Examples:
        >>> found = score_segments(read_units("qca-out"), "customer_focus")  # doctest: +SKIP
        >>> found.scores.sort_values("score").tail(3)  # doctest: +SKIP
    """
    import numpy as np
    import pandas as pd
    from sklearn.base import clone
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    options = options or SimilarOptions()
    code = resolve_code(name, units, gold)
    level, ids, texts, labels = _training(units, code, gold)
    _check_counts(code, labels, gold)
    y = np.asarray(labels)
    folds = max(2, min(options.folds, int(y.sum()), int(len(y) - y.sum())))
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=options.seed)
    model = _pipeline(options.seed)
    try:
        held_out = cross_val_predict(model, texts, y, cv=split, method="predict_proba")[:, 1]
    except ValueError as exc:
        if "empty vocabulary" not in str(exc):
            raise
        raise DiagnosticsError(
            f"{code}: the units' texts hold no word of two or more letters to learn from; "
            "check that the segments (or the gold units) have text"
        ) from exc
    predicted = held_out >= options.threshold
    tp = int((predicted & (y == 1)).sum())
    precision, recall = _ratio(tp, int(predicted.sum())), _ratio(tp, int(y.sum()))
    f1 = _ratio(2 * tp, int(predicted.sum() + y.sum()))
    average_precision = float(average_precision_score(y, held_out))

    segments = units.segments
    segment_ids = segments[SEGMENT_ID].astype(str).tolist()
    segment_texts = segments[TEXT].astype(str).tolist()
    doc_ids = segments[DOC_ID].astype(str).tolist()
    # A segment that is a training unit (its text the unit's) keeps its out-of-fold score;
    # the model fitted on every training unit scores the others.
    own = dict(zip(ids, zip(texts, held_out.tolist(), strict=True), strict=True))
    final: list[float | None] = []
    for segment, doc, text in zip(segment_ids, doc_ids, segment_texts, strict=True):
        trained = own.get(segment if level == SEGMENT_LEVEL else doc)
        final.append(trained[1] if trained is not None and trained[0] == text else None)
    unseen = [i for i, score in enumerate(final) if score is None]
    if unseen:
        fitted = clone(model).fit(texts, y)
        scores = fitted.predict_proba([segment_texts[i] for i in unseen])[:, 1]
        for i, score in zip(unseen, scores.tolist(), strict=True):
            final[i] = float(score)
    coded = set(units.codings.loc[units.codings[CODE] == code, SEGMENT_ID])
    frame = pd.DataFrame(
        {
            DOC_ID: doc_ids,
            SEGMENT_ID: segment_ids,
            SCORE: final,
            CODED: [s in coded for s in segment_ids],
            TEXT: segment_texts,
        }
    )
    return SimilarSegments(
        code=code,
        scores=frame,
        level=level,
        source=_source(gold),
        training=len(y),
        positives=int(y.sum()),
        folds=folds,
        precision=precision,
        recall=recall,
        f1=f1,
        average_precision=average_precision,
        options=options,
    )


def review_queue(found: SimilarSegments, *, top: int | None = None) -> pd.DataFrame:
    """Return the segments the run does not code with the code, most alike first.

    Columns ``QUEUE_COLUMNS`` (code, segment_id, doc_id, score, text excerpt): what
    ``qca review CODE --queue FILE`` reads. Ties keep segment order; *top* keeps the first N.
    """
    import pandas as pd

    frame = found.scores[~found.scores[CODED]]
    frame = frame.sort_values(SCORE, ascending=False, kind="stable")
    if top is not None:
        frame = frame.head(top)
    queue = pd.DataFrame(
        {
            CODE: found.code,
            SEGMENT_ID: frame[SEGMENT_ID],
            DOC_ID: frame[DOC_ID],
            SCORE: frame[SCORE].round(4),
            TEXT: [_excerpt(t) for t in frame[TEXT]],
        },
        columns=list(QUEUE_COLUMNS),
    )
    return queue.reset_index(drop=True)


def _excerpt(text: str) -> str:
    flat = " ".join(str(text).split())
    if len(flat) <= QUEUE_TEXT_CHARS:
        return flat
    return flat[: QUEUE_TEXT_CHARS - 3].rstrip() + "..."


def model_coding(found: SimilarSegments, *, coder: str = "model") -> pd.DataFrame:
    """Return the model as a coder: every codable segment, coded where its score reaches the threshold.

    Columns ``MODEL_CODING_COLUMNS`` (unit_id, code, coder, score): a long coding
    ``qca agree`` reads, a blank code marking a segment the model saw and did not code.
    """
    import pandas as pd

    scores = found.scores
    coded = scores[SCORE] >= found.options.threshold
    return pd.DataFrame(
        {
            UNIT_ID: scores[SEGMENT_ID],
            CODE: [found.code if c else "" for c in coded],
            CODER: coder,
            SCORE: scores[SCORE].round(4),
        },
        columns=list(MODEL_CODING_COLUMNS),
    )


def trust_line(found: SimilarSegments) -> str:
    """Return the one-line summary of the cross-validated figures (for stderr)."""
    return (
        f"{found.code}: the model learnt from {found.training} {found.level}s of "
        f"{found.source}, {found.positives} in the code; {found.folds}-fold cross-validated at score >= {found.options.threshold:g}: "
        f"precision {found.precision:.2f}, recall {found.recall:.2f}, F1 {found.f1:.2f}; "
        f"average precision {found.average_precision:.2f}"
    )
