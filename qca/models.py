"""Column constants and small data classes: the contracts between stages.

Never type a column name as a string literal outside this module (or
:mod:`qca.models_diagnostics`, the columns of the codebook diagnostics); import the
constant instead. Every table is a tidy pandas DataFrame whose leading columns
are exactly the tuple given here, in this order.
"""

from __future__ import annotations

import hashlib

# --- documents: one row per ingested document -------------------------------
DOC_ID = "doc_id"
PATH = "path"
FORMAT = "format"
SHA256 = "sha256"
TEXT = "text"
CHARS = "chars"
WORDS = "words"

#: documents table: these columns, then attribute columns (front matter etc.) in name order.
DOCUMENT_COLUMNS: tuple[str, ...] = (DOC_ID, PATH, FORMAT, SHA256, CHARS, WORDS, TEXT)

# --- segments: one row per coding unit --------------------------------------
SEGMENT_ID = "segment_id"
UNIT = "unit"
SPEAKER = "speaker"
IS_INTERVIEWER = "is_interviewer"
START = "start"
END = "end"
#: The survey column a segment answers, when ``--text-column`` names several (#18).
QUESTION = "question"
#: Cue times of a caption turn, in seconds (NaN where the source has none).
START_SECONDS = "start_seconds"
END_SECONDS = "end_seconds"

#: segments table: these columns, then attribute columns in name order.
#: ``start``/``end`` are code-point offsets into the document's normalised text:
#: ``text == document_text[start:end]`` holds at every unit but ``document``, whose text
#: has speaker labels and excluded turns blanked (spaces of the same length, line ends kept).
SEGMENT_COLUMNS: tuple[str, ...] = (
    DOC_ID,
    SEGMENT_ID,
    UNIT,
    SPEAKER,
    IS_INTERVIEWER,
    START,
    END,
    WORDS,
    TEXT,
)

UNITS: tuple[str, ...] = ("turn", "sentence", "paragraph", "document")
#: The letter each unit contributes to a segment id: ``{doc_id}:{letter}{index:04d}``.
UNIT_LETTERS: dict[str, str] = {"turn": "t", "sentence": "s", "paragraph": "p", "document": "d"}

# --- hits: one row per match of one rule ------------------------------------
THEME = "theme"
CODE = "code"
RULE_KIND = "rule_kind"
RULE = "rule"
MATCH = "match"
NEGATED = "negated"
NEGATION_CUE = "negation_cue"  # the cue before a negated hit as written; "" if not negated

RULE_KINDS: tuple[str, ...] = ("term", "phrase", "pattern", "regex")

HIT_COLUMNS: tuple[str, ...] = (
    DOC_ID,
    SEGMENT_ID,
    SPEAKER,
    THEME,
    CODE,
    RULE_KIND,
    RULE,
    MATCH,
    START,
    END,
    NEGATED,
    NEGATION_CUE,  # older output folders lack it (qca explain then says so)
)

# --- codings: one row per (segment, code) after overrides -------------------
SOURCE = "source"
HITS = "hits"
SOURCES: tuple[str, ...] = ("auto", "manual", "reviewed")

CODING_COLUMNS: tuple[str, ...] = (SEGMENT_ID, THEME, CODE, SOURCE, HITS)

# --- codebook rules: Codebook.to_frame() ------------------------------------
LANGUAGE = "language"
RULE_COLUMNS: tuple[str, ...] = (THEME, CODE, RULE_KIND, RULE, LANGUAGE)

# --- output folder ------------------------------------------------------------
SEGMENTS_FILE = "segments.parquet"
HITS_FILE = "hits.parquet"
CODINGS_FILE = "codings.parquet"
HITS_CSV = "hits.csv"
CODINGS_CSV = "codings.csv"
RUN_FILE = "run.json"
DEFAULT_OUTDIR = "qca-out"
CACHE_DIR = ".qca-cache"
PROJECT_FILE = "qca.yaml"
OVERRIDES_FILE = "overrides.yaml"


def text_hash(text: str) -> str:
    """Return the short hash of a segment's text that overrides use to detect edits.

    Examples:
        >>> text_hash("We really wanted to make it better for Esther.")
        'd2967703f023'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# --- run.json (the run manifest) ----------------------------------------------
#: Keys of run.json, written by ``qca code`` and read by every later command:
#: ``qca_version``, ``spacy_version``, ``pipeline`` ({"language": {"name", "model", "components", "fingerprint"}}),
#: ``codebook`` ({"path", "sha256", "name", "version", "language"}),
#: ``themes`` ([{"theme", "label"}] in codebook order),
#: ``codes`` ([{"theme", "code", "label", "parent"}] in codebook order, sub-codes included),
#: ``inputs`` ([{"path", "sha256", "format", "documents"}] sorted by path),
#: ``options`` (every option as given: unit, include_interviewer, jobs, model, ...),
#: ``counts`` ({"documents", "segments", "coded_segments", "hits", "skipped_files", "words"}),
#: ``problems`` ([str] every problem line), ``started`` and ``finished`` (ISO 8601, UTC).
#: ``outputs`` ({file name: {"size", "mtime_ns"}} of each table, as written) and ``rerun``
#: ({"codebook_unit", "participants_sha256", "overrides_sha256", "lookups_version", "model",
#: "inputs", "severities", "codebook_exclude_speakers", "code_digests"}): what ``qca code`` compares to find the folder up
#: to date, and which codes an edit of the codebook changed (:mod:`qca.rerun`).
#: The format version is ``RUN_FORMAT`` (bump it when the folder layout changes).
RUN_FORMAT = 1
RUN_KEYS: tuple[str, ...] = (
    "format",
    "qca_version",
    "spacy_version",
    "pipeline",
    "codebook",
    "themes",
    "codes",
    "inputs",
    "options",
    "counts",
    "problems",
    "outputs",
    "rerun",
    "started",
    "finished",
)

# --- theme tables, quotes, show/kwic/explain (qca.themes, qca.excerpts) -------
MENTIONS = "mentions"
SEGMENTS = "segments"
DOCUMENTS = "documents"
SPEAKERS = "speakers"
PCT_SEGMENTS = "pct_segments"
PER_1000_WORDS = "per_1000_words"
#: The measures of ``qca themes``, in output order.
MEASURES: tuple[str, ...] = (MENTIONS, SEGMENTS, DOCUMENTS, SPEAKERS, PCT_SEGMENTS, PER_1000_WORDS)
#: The group label of the total rows of ``theme_table(by=...)``, and of a missing attribute value.
TOTAL_GROUP = "(total)"
MISSING_GROUP = "(missing)"
RANK = "rank"
DISTINCT_MATCHES = "distinct_matches"
CODES = "codes"
MATCHES = "matches"
LEFT = "left"
RIGHT = "right"
REASON = "reason"
#: The run-manifest sheet of an xlsx export: one row per (dotted) key.
KEY = "key"
VALUE = "value"

# --- agreement (qca.agreement, `qca agree`) -----------------------------------
#: The unit column of a long coding CSV (``unit_id,code``) and of agreement tables.
UNIT_ID = "unit_id"
CODER = "coder"
#: Number of units with values from two or more coders (the pairable units).
N_UNITS = "units"
PERCENT_AGREEMENT = "percent_agreement"
COHEN_KAPPA = "cohen_kappa"
FLEISS_KAPPA = "fleiss_kappa"
KRIPPENDORFF_ALPHA = "krippendorff_alpha"
GWET_AC1 = "gwet_ac1"
VERDICT = "verdict"
SUPPORT = "support"
PREDICTED = "predicted"
TRUE_POSITIVES = "true_positives"
PRECISION = "precision"
RECALL = "recall"
F1 = "f1"
#: The coefficients of ``qca agree``, in output order.
AGREEMENT_MEASURES: tuple[str, ...] = (
    PERCENT_AGREEMENT,
    COHEN_KAPPA,
    FLEISS_KAPPA,
    KRIPPENDORFF_ALPHA,
    GWET_AC1,
)
#: ``measure_agreement(...)`` without gold: these columns (with ``_low``/``_high`` after each
#: measure when bootstrapped).
AGREEMENT_COLUMNS: tuple[str, ...] = (CODE, N_UNITS, *AGREEMENT_MEASURES, VERDICT)
#: ``measure_agreement(..., gold=NAME)``: one row per (coder, code) against the gold coding.
GOLD_MEASURES: tuple[str, ...] = (
    PRECISION,
    RECALL,
    F1,
    PERCENT_AGREEMENT,
    COHEN_KAPPA,
    KRIPPENDORFF_ALPHA,
    GWET_AC1,
)
GOLD_COLUMNS: tuple[str, ...] = (
    CODER,
    CODE,
    N_UNITS,
    SUPPORT,
    PREDICTED,
    TRUE_POSITIVES,
    *GOLD_MEASURES,
    VERDICT,
)
#: Row labels of the summary rows of agreement tables.
MICRO_ROW = "(micro)"
MACRO_ROW = "(macro)"
NOMINAL_ROW = "(nominal)"
CI_LOW_SUFFIX = "_low"
CI_HIGH_SUFFIX = "_high"
#: With ``--bootstrap``: how many resamples left the measure undefined (issue #17).
CI_UNDEFINED_SUFFIX = "_undefined"
#: A first column of a matrix or one-hot file with one of these names holds unit ids (issue #17).
ID_COLUMN_NAMES: tuple[str, ...] = ("unit", "id", UNIT_ID, SEGMENT_ID, "item", "case")


# --- ingest summary: one row per document (per file for surveys) --------------
DOCUMENT = "document"
TURNS = "turns"
WARNINGS = "warnings"
#: ``qca ingest`` summary table (speakers = distinct speaker labels / respondents).
INGEST_SUMMARY_COLUMNS: tuple[str, ...] = (DOCUMENT, FORMAT, SPEAKERS, TURNS, WORDS, WARNINGS)
#: ``qca ingest --speakers``: one row per (document, speaker label); ``similar_to`` names
#: near-duplicate labels (``Particpant`` beside ``Participant``).
SIMILAR_TO = "similar_to"
SPEAKER_TABLE_COLUMNS: tuple[str, ...] = (DOC_ID, SPEAKER, TURNS, WORDS, IS_INTERVIEWER, SIMILAR_TO)


# --- overrides.yaml: manual decisions (qca.overrides, `qca override`, `qca review`) ---
#: Keys of one decision in overrides.yaml, and the columns of ``qca override list``.
SEGMENT = "segment"
ACTION = "action"
DATE = "date"
NOTE = "note"
HASH = "hash"
EXCERPT = "excerpt"
ACTIONS: tuple[str, ...] = ("add", "remove", "accept")
#: ``start``/``end``: the segment's character offsets at decision time (no text is stored);
#: ``excerpt`` is read from files written before 0.2 and never written.
OVERRIDE_COLUMNS: tuple[str, ...] = (
    SEGMENT,
    CODE,
    ACTION,
    CODER,
    DATE,
    NOTE,
    HASH,
    START,
    END,
    EXCERPT,
)
#: ``qca override check``: one row per decision with its status and where it applies now.
STATUS = "status"
#: ok: applies as recorded; moved: the text is now at another segment id (applied there);
#: changed: the segment's text changed; gone: the segment or its document is gone;
#: unknown_code: the code left the codebook. The last three are stale (not applied).
OVERRIDE_STATUSES: tuple[str, ...] = ("ok", "moved", "changed", "gone", "unknown_code")
NEAREST = "nearest"
CHECK_COLUMNS: tuple[str, ...] = (SEGMENT, CODE, ACTION, STATUS, NEAREST, EXCERPT)
#: ``qca override stats``: per code, auto-coded segments and the review of them.
REVIEWED = "reviewed"
ACCEPTED = "accepted"
REJECTED = "rejected"
ADDED = "added"
OVERRIDE_STATS_COLUMNS: tuple[str, ...] = (
    THEME,
    CODE,
    SEGMENTS,
    REVIEWED,
    ACCEPTED,
    REJECTED,
    ADDED,
    PRECISION,
)

# --- qca cache info (qca.cachedir) ---------------------------------------------
KIND = "kind"
PIPELINE = "pipeline"
ENTRIES = "entries"
BYTES = "bytes"
LAST_USED = "last_used"
OUTPUTS = "outputs"
#: One row per kind of cache entry and pipeline, with the output folders it serves.
CACHE_INFO_COLUMNS: tuple[str, ...] = (
    KIND,
    PIPELINE,
    ENTRIES,
    BYTES,
    LAST_USED,
    OUTPUTS,
    DOCUMENTS,
    WORDS,
)

# --- co-occurrence and group statistics (qca.cooccur, qca.stats; #20) ----------
#: ``qca cooccur --unit``: what counts as one unit of co-occurrence.
COOCCUR_UNITS: tuple[str, ...] = ("segment", "document", "speaker")
CODE_A = "code_a"
CODE_B = "code_b"
#: Units coded with code_a, with code_b, and with both; Jaccard = both / (a + b - both)
#: (ATLAS.ti's c-coefficient on units); overlap = both / min(a, b).
UNITS_A = "units_a"
UNITS_B = "units_b"
UNITS_BOTH = "units_both"
JACCARD = "jaccard"
OVERLAP = "overlap"
COOCCUR_COLUMNS: tuple[str, ...] = (CODE_A, CODE_B, UNITS_A, UNITS_B, UNITS_BOTH, JACCARD, OVERLAP)
#: ``qca themes --by ATTR --stats``: per row, codable segments of the group (n), the share
#: coded with its 95% Wilson interval; per theme or code (on its ``(total)`` row) the test.
N_BASE = "n"
PROPORTION = "proportion"
CI_LOW = "ci_low"
CI_HIGH = "ci_high"
TEST = "test"
STATISTIC = "statistic"
DOF = "dof"
P_VALUE = "p_value"
P_HOLM = "p_holm"
CRAMERS_V = "cramers_v"
STATS_COLUMNS: tuple[str, ...] = (
    N_BASE,
    PROPORTION,
    CI_LOW,
    CI_HIGH,
    TEST,
    STATISTIC,
    DOF,
    P_VALUE,
    P_HOLM,
    CRAMERS_V,
)

# --- qca pseudonymise --dry-run (qca.pseudonymise) ------------------------------
ORIGINAL = "original"
PSEUDONYM = "pseudonym"
COUNT = "count"
FILES = "files"
CONTEXT = "context"
#: One row per form replaced (or capitalised word flagged, kind ``unlisted``).
PSEUDONYMISE_REVIEW_COLUMNS: tuple[str, ...] = (KIND, ORIGINAL, PSEUDONYM, COUNT, FILES, CONTEXT)
