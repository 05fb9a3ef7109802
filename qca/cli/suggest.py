"""``qca suggest``: words and phrases a code's units share that its rules miss."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qca.cli import app
from qca.cli._errors import fail, print_problems, reports_errors
from qca.cli._gold import (
    CodebookOption,
    GoldCodeColumnsOption,
    GoldIdColumnOption,
    GoldOption,
    load_gold,
)
from qca.cli._options import OutdirOption, TableFormat, emit_table, resolve_format
from qca.models_diagnostics import G2_P001

if TYPE_CHECKING:
    from qca.diagnostics import Gold, Units


class SuggestFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    yaml = "yaml"


@app.command("suggest")
@reports_errors
def suggest_cli(
    code: Annotated[
        str | None,
        typer.Argument(
            help="Code id or label (with --gold, any gold category).", show_default=False
        ),
    ] = None,
    segments: Annotated[
        str | None,
        typer.Option(
            "--segments",
            metavar="CODE",
            help="Rank the segments not coded CODE by how much they resemble those that are "
            "(a review queue for qca review CODE --queue); never codes by itself.",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=1, help="With --segments: queue at most N segments."),
    ] = None,
    as_coder: Annotated[
        str | None,
        typer.Option(
            "--as-coder",
            metavar="NAME",
            help="With --segments: write the model as coder NAME (score >= --threshold), "
            "a unit_id,code table for qca agree, instead of the queue.",
        ),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold",
            min=0.0,
            max=1.0,
            help="With --segments: the score at which the model codes a segment.",
        ),
    ] = 0.5,
    seed: Annotated[
        int, typer.Option("--seed", help="With --segments: random seed of the folds and solver.")
    ] = 0,
    outdir: OutdirOption = None,
    codebook: CodebookOption = None,
    gold: GoldOption = None,
    id_column: GoldIdColumnOption = None,
    code_columns: GoldCodeColumnsOption = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Show at most N terms.")] = 20,
    min_count: Annotated[
        int,
        typer.Option("--min-count", min=1, help="Keep terms in at least N of the code's units."),
    ] = 3,
    min_g2: Annotated[
        float, typer.Option("--min-g2", help="Keep terms with G2 at least this (10.83: p < .001).")
    ] = G2_P001,
    max_words: Annotated[
        int, typer.Option("--max-words", min=1, max=5, help="Longest phrase, in words.")
    ] = 2,
    fmt: Annotated[
        SuggestFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table, csv, json, markdown, or yaml (a terms: list to paste into the codebook).",
            case_sensitive=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE instead of stdout.", dir_okay=False),
    ] = None,
) -> None:
    """Suggest terms for a code: words and phrases over-represented in its units.

    Ranks lemmas and phrases by log-likelihood G2 (keyness) of the code's segments
    (with --gold, the human-coded units) against the rest, with the log ratio as
    effect size; stop words and the code's own terms are left out. Each term comes
    with its counts and two example contexts. Read the examples before adding a term.

    With --segments CODE: a logistic regression on TF-IDF features learns from the
    coded segments (or the --gold positives) and ranks the segments not coded CODE,
    most alike first: a review queue for qca review CODE --queue FILE, where only a
    person's accept codes them. --as-coder NAME writes the model's own coding for
    qca agree instead. Cross-validated precision and recall go to stderr.

    Example: qca suggest staff_manner -d qca-out --gold labels.csv -f yaml
    """
    from qca.outputs import default_output_folder

    outdir = outdir or default_output_folder()
    from qca.diagnostics import codebook_rules, read_units
    from qca.diagnostics.keyness import SuggestOptions, terms_yaml
    from qca.diagnostics.suggest import suggest_for_code

    if (code is None) == (segments is None):
        raise fail(
            "name a code: qca suggest CODE (terms) or qca suggest --segments CODE (segments)"
        )
    if segments is None and (limit is not None or as_coder is not None):
        raise fail("-n and --as-coder go with --segments CODE; add it, or leave them out")
    units = read_units(outdir)
    if segments is not None:
        if fmt in (SuggestFormat.yaml, SuggestFormat.markdown):
            raise fail(f"--segments writes csv, json or table, not {fmt.value}; choose -f csv")
        labels = load_gold(gold, units, id_column, code_columns)
        _suggest_segments(units, segments, labels, limit, as_coder, threshold, seed, fmt, output)
        return
    assert code is not None
    rules, problems = codebook_rules(units, codebook)
    labels = load_gold(gold, units, id_column, code_columns)
    print_problems(problems)
    language = str((units.output.manifest.get("codebook", {}) or {}).get("language") or "en")
    options = SuggestOptions(top=top, min_count=min_count, min_g2=min_g2, max_words=max_words)
    found = suggest_for_code(
        units, code, rules=rules, gold=labels, language=language, options=options
    )
    if fmt is SuggestFormat.yaml:
        text = terms_yaml(found.table, code=found.code, n1=found.target)
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
        return
    chosen = resolve_format(None if fmt is None else TableFormat(fmt.value), output)
    title = f"Terms for {found.code} ({found.target} units in, {found.rest} out)"
    emit_table(found.table.round(4), chosen, output, title=title)


def _suggest_segments(
    units: Units,
    code: str,
    labels: Gold | None,
    limit: int | None,
    as_coder: str | None,
    threshold: float,
    seed: int,
    fmt: SuggestFormat | None,
    output: Path | None,
) -> None:
    from qca.diagnostics.similar import (
        SimilarOptions,
        model_coding,
        review_queue,
        score_segments,
        trust_line,
    )

    found = score_segments(
        units, code, gold=labels, options=SimilarOptions(threshold=threshold, seed=seed)
    )
    typer.echo(trust_line(found), err=True)
    chosen = resolve_format(None if fmt is None else TableFormat(fmt.value), output)
    if as_coder is not None:
        table = model_coding(found, coder=as_coder)
        title = f"{as_coder}: {found.code} where the score is >= {threshold:g}"
    else:
        table = review_queue(found, top=limit)
        title = f"Segments not coded {found.code}, most alike first"
    emit_table(table, chosen, output, title=title)
