"""``qca sample``: a blind stratified sample of coded segments to hand-code."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from qca.cli import app
from qca.cli._errors import reports_errors, stderr
from qca.cli._options import FormatOption, OutdirOption, OutputOption, emit_table, resolve_format


class Stratify(str, Enum):
    code = "code"
    none = "none"


@app.command("sample")
@reports_errors
def sample_cli(
    outdir: OutdirOption = None,
    limit: Annotated[
        int, typer.Option("--size", "-n", min=1, help="At most N segments: the sample's size.")
    ] = 200,
    stratify: Annotated[
        Stratify,
        typer.Option(
            "--stratify",
            help="code: strata by each segment's rarest code (and uncoded), "
            "square-root allocation; none: a simple random sample.",
            case_sensitive=False,
        ),
    ] = Stratify.code,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same sample).")] = 0,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Draw a blind sample of segments to hand-code: ids and text, one blank column per code.

    The codes qca gave are hidden. Fill each code column with 1 (the code applies) or
    leave it blank, then estimate corpus-wide precision, recall and prevalence with
    qca agree --estimate (it recomputes the strata from the folder).

    Example: qca sample -d qca-out -n 200 --stratify code --seed 1 -o sample.csv
    """
    from qca.diagnostics import read_units
    from qca.diagnostics.sampling import draw_sample
    from qca.outputs import default_output_folder

    outdir = outdir or default_output_folder()
    units = read_units(outdir)
    sample = draw_sample(units, limit, seed=seed, stratify=stratify.value)
    emit_table(sample, resolve_format(fmt, output), output, title="Sample")
    if output is not None:
        stderr().print(
            f"wrote {output} ({len(sample)} of {len(units.segments)} segments; "
            f"stratify {stratify.value}, seed {seed})",
            markup=False,
        )
