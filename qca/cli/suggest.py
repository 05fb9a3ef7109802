"""``qca suggest``: words and phrases a code's units share that its rules miss."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from qca.cli import app
from qca.cli._errors import print_problems, reports_errors
from qca.cli._gold import (
    CodebookOption,
    GoldCodeColumnsOption,
    GoldIdColumnOption,
    GoldOption,
    load_gold,
)
from qca.cli._options import OutdirOption, TableFormat, emit_table, resolve_format
from qca.diagnostics.keyness import G2_P001


class SuggestFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    yaml = "yaml"


@app.command("suggest")
@reports_errors
def suggest_cli(
    code: Annotated[str, typer.Argument(help="Code id or label (with --gold, any gold category).")],
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

    Example: qca suggest staff_manner -d qca-out --gold labels.csv -f yaml
    """
    from qca.outputs import default_output_folder

    outdir = outdir or default_output_folder()
    from qca.diagnostics import codebook_rules, read_units
    from qca.diagnostics.keyness import SuggestOptions, terms_yaml
    from qca.diagnostics.suggest import suggest_for_code

    units = read_units(outdir)
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
