"""Column constants of the codebook diagnostics' tables, the contracts of their stages.

``qca codebook stats``, ``qca suggest``, ``qca sample``, ``qca review --queue`` and
``qca agree --estimate`` write these tables. As with :mod:`qca.models`, whose columns
they share, never type one of these names as a string literal elsewhere; import it.
"""

from __future__ import annotations

from qca.models import (
    CI_HIGH_SUFFIX,
    CI_LOW_SUFFIX,
    CODE,
    CODER,
    DOC_ID,
    HITS,
    PRECISION,
    RECALL,
    RULE,
    RULE_KIND,
    SEGMENT_ID,
    SEGMENTS,
    TEXT,
    THEME,
    TRUE_POSITIVES,
    UNIT_ID,
)

# --- codebook diagnostics (qca.diagnostics: `qca codebook stats`, `qca suggest`, `qca sample`) ---
#: G2 above this is significant at p < .001 (chi-square with one degree of freedom): the
#: default of ``qca suggest --min-g2`` (here, so the CLI need not import the diagnostics).
G2_P001 = 10.83
#: Segments where this rule is the only rule of its code that matched.
UNIQUE = "unique"
#: ``unique`` as a share of the code's segments: what the code loses without the rule.
UNIQUE_SHARE = "unique_share"
FALSE_POSITIVES = "false_positives"
#: ``never fires`` / ``mostly false positives`` / blank.
FLAG = "flag"
RULE_STATS_COLUMNS: tuple[str, ...] = (
    THEME,
    CODE,
    RULE_KIND,
    RULE,
    HITS,
    SEGMENTS,
    UNIQUE,
    UNIQUE_SHARE,
)
#: With gold labels: these after ``RULE_STATS_COLUMNS``, then ``FLAG``.
RULE_GOLD_COLUMNS: tuple[str, ...] = (TRUE_POSITIVES, FALSE_POSITIVES, PRECISION)
#: ``qca suggest``: one row per candidate term.
TERM = "term"
TARGET = "target"
REST = "rest"
G2 = "g2"
LOG_RATIO = "log_ratio"
EXAMPLES = "examples"
SUGGEST_COLUMNS: tuple[str, ...] = (TERM, TARGET, REST, PRECISION, G2, LOG_RATIO, EXAMPLES)
#: ``qca suggest --segments``: the model's score of a segment, and whether the run codes it.
SCORE = "score"
CODED = "coded"
#: The review queue ``qca review CODE --queue FILE`` reads: segments not coded, most alike first.
QUEUE_COLUMNS: tuple[str, ...] = (CODE, SEGMENT_ID, DOC_ID, SCORE, TEXT)
#: ``qca suggest --segments CODE --as-coder NAME``: the model as a coder (a long coding).
MODEL_CODING_COLUMNS: tuple[str, ...] = (UNIT_ID, CODE, CODER, SCORE)
#: ``qca sample``: the blind sample (code columns left blank for the coder follow).
SAMPLE_COLUMNS: tuple[str, ...] = (UNIT_ID, TEXT)
#: ``qca agree --estimate``: corpus-wide estimates per code, each with ``_low``/``_high``.
POPULATION = "population"
SAMPLED = "sampled"
AUTO_CODED = "auto_coded"
PREVALENCE = "prevalence"
ESTIMATE_MEASURES: tuple[str, ...] = (PREVALENCE, PRECISION, RECALL)
ESTIMATE_COLUMNS: tuple[str, ...] = (
    CODE,
    POPULATION,
    SAMPLED,
    AUTO_CODED,
    *(f"{m}{s}" for m in ESTIMATE_MEASURES for s in ("", CI_LOW_SUFFIX, CI_HIGH_SUFFIX)),
)
