"""Per-rule diagnostics of a coded output folder (``qca codebook stats``).

For every rule of the codebook: how often it matched (``hits``), in how many segments
(``segments``), in how many of them it was the only rule of its code that matched
(``unique``: what the code would lose without it) and that as a share of the code's
segments. With gold labels: the gold units where the rule matched that the humans
coded with the rule's code (``true_positives``) or not (``false_positives``). The
``flag`` column names rules that never fire and rules whose hits are mostly false
positives (precision below one half).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qca.diagnostics.gold import Gold, Units
from qca.errors import Problem
from qca.models import (
    CODE,
    HITS,
    PRECISION,
    RULE,
    RULE_COLUMNS,
    RULE_KIND,
    SEGMENT_ID,
    SEGMENTS,
    THEME,
)
from qca.models_diagnostics import FLAG, RULE_GOLD_COLUMNS, RULE_STATS_COLUMNS, UNIQUE, UNIQUE_SHARE

if TYPE_CHECKING:
    import pandas as pd

NEVER_FIRES = "never fires"
MOSTLY_FALSE = "mostly false positives"


def codebook_rules(
    units: Units, codebook: Path | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Return the rules of the codebook the folder was coded with (``RULE_COLUMNS``).

    *codebook* replaces the path recorded in run.json. When it cannot be read, the
    rules that fired are returned with a warning: rules that never fire are then unknown.
    """
    import pandas as pd

    from qca.codebook.read import load_codebook

    recorded = (units.output.manifest.get("codebook", {}) or {}).get("path")
    path = codebook if codebook is not None else (Path(str(recorded)) if recorded else None)
    problems: list[Problem] = []
    if path is not None and path.is_file():
        found, read_problems = load_codebook(path)
        if found is not None:
            return found.to_frame(), []
        problems += [p for p in read_problems if p.is_error][:1]
    shown = path.as_posix() if path is not None else "run.json"
    problems.append(
        Problem(
            shown,
            "cannot read the codebook; rules that never fire are not listed; "
            "pass the codebook with -c FILE",
            severity="warning",
        )
    )
    fired = units.hits[[THEME, CODE, RULE_KIND, RULE]].astype(str).drop_duplicates()
    frame = pd.DataFrame(fired).assign(language="")
    return frame[list(RULE_COLUMNS)].reset_index(drop=True), problems


def rule_stats(units: Units, rules: pd.DataFrame, *, gold: Gold | None = None) -> pd.DataFrame:
    """Return one row per rule: ``RULE_STATS_COLUMNS`` (with gold ``RULE_GOLD_COLUMNS``), ``flag``.

    Rows keep the codebook's order; rules that fired but are not in *rules* (the
    codebook changed since coding) come last.
    """
    import pandas as pd

    key = [CODE, RULE_KIND, RULE]
    hits = units.hits.astype({c: str for c in (THEME, *key, SEGMENT_ID)})
    known = rules[[THEME, *key]].astype(str).drop_duplicates(subset=key)
    extra = hits[[THEME, *key]].drop_duplicates(subset=key)
    extra = extra.merge(known[key], on=key, how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"].drop(columns="_merge")
    table = pd.concat([known, extra], ignore_index=True)

    counts = hits.groupby(key, sort=False).agg(
        **{HITS: (SEGMENT_ID, "size"), SEGMENTS: (SEGMENT_ID, "nunique")}
    )
    per_segment = hits.drop_duplicates(subset=[SEGMENT_ID, *key])
    rules_in_segment = per_segment.groupby([SEGMENT_ID, CODE])[RULE].transform("size")
    unique = per_segment[rules_in_segment == 1].groupby(key, sort=False).size().rename(UNIQUE)
    code_segments = per_segment.groupby(CODE)[SEGMENT_ID].nunique()
    table = table.join(counts, on=key).join(unique, on=key)
    for column in (HITS, SEGMENTS, UNIQUE):
        table[column] = table[column].fillna(0).astype("int64")
    share = table[UNIQUE] / table[CODE].map(code_segments).astype("float64")
    table[UNIQUE_SHARE] = share.where(table[SEGMENTS] > 0)
    columns = list(RULE_STATS_COLUMNS)
    flags = pd.Series("", index=table.index, dtype=object)
    flags[table[HITS] == 0] = NEVER_FIRES
    if gold is not None:
        tp_name, fp_name, _ = RULE_GOLD_COLUMNS
        judged = per_segment.assign(unit=per_segment[SEGMENT_ID].map(gold.unit_of))
        judged = judged[judged["unit"].isin(set(gold.units))].drop_duplicates(["unit", *key])
        positive = [
            unit in gold.positives.get(code, frozenset())
            for unit, code in zip(judged["unit"], judged[CODE], strict=True)
        ]
        judged = judged.assign(tp=positive)
        tp = judged.groupby(key, sort=False)["tp"].agg(["sum", "size"])
        table = table.join(tp, on=key)
        table[tp_name] = table["sum"].fillna(0).astype("int64")
        table[fp_name] = (table["size"].fillna(0) - table["sum"].fillna(0)).astype("int64")
        table = table.drop(columns=["sum", "size"])
        judged_total = table[tp_name] + table[fp_name]
        table[PRECISION] = (table[tp_name] / judged_total.where(judged_total > 0)).astype("float64")
        flags[(table[PRECISION] < 0.5).fillna(False)] = MOSTLY_FALSE
        columns += list(RULE_GOLD_COLUMNS)
    table[FLAG] = flags
    return table[[*columns, FLAG]].reset_index(drop=True)
