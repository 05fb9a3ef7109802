"""``qca codebook stats``: which rules fire, which never do, which bring false positives."""

from __future__ import annotations

from typing import Annotated

import typer

from qca.cli._errors import print_problems, reports_errors
from qca.cli._gold import (
    CodebookOption,
    GoldCodeColumnsOption,
    GoldIdColumnOption,
    GoldOption,
    load_gold,
)
from qca.cli._options import FormatOption, OutdirOption, OutputOption, emit_table, resolve_format
from qca.cli.codebook import codebook_app
from qca.models import CODE


@codebook_app.command("stats")
@reports_errors
def codebook_stats_cli(
    outdir: OutdirOption = None,
    codebook: CodebookOption = None,
    gold: GoldOption = None,
    id_column: GoldIdColumnOption = None,
    code_columns: GoldCodeColumnsOption = None,
    code: Annotated[
        list[str] | None,
        typer.Option("--code", metavar="CODE", help="Show only this code's rules (repeatable)."),
    ] = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Show per-rule statistics of a coded folder: hits, segments, unique share.

    unique is the number of segments where the rule is the only rule of its code
    that matched; unique_share is that as a share of the code's segments. With
    --gold, true and false positives per rule; flag names rules that never fire
    and rules whose hits are mostly false positives.

    Example: qca codebook stats -d qca-out --gold labels.csv
    """
    from qca.diagnostics import codebook_rules, read_units, rule_stats
    from qca.outputs import default_output_folder

    outdir = outdir or default_output_folder()
    units = read_units(outdir)
    rules, problems = codebook_rules(units, codebook)
    labels = load_gold(gold, units, id_column, code_columns)
    print_problems(problems)
    table = rule_stats(units, rules, gold=labels)
    if code:
        table = table[table[CODE].isin(code)].reset_index(drop=True)
    emit_table(table.round(4), resolve_format(fmt, output), output, title="Rules")
