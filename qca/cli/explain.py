"""``qca explain``: why each code is, or is not, on one segment."""

from __future__ import annotations

from typing import Annotated

import typer

from qca.cli import app
from qca.cli._errors import reports_errors
from qca.cli._options import CodeOption, ReadOutdirOption, deprecated


@app.command("explain")
@reports_errors
def explain_cli(
    segment_id: Annotated[
        str, typer.Argument(help="The segment, e.g. fg-coaches:t0042.", show_default=False)
    ],
    code: CodeOption = None,
    old_code: Annotated[str | None, typer.Option("-c", hidden=True)] = None,
    outdir: ReadOutdirOption = None,
) -> None:
    """Explain one segment: its text, every hit with its rule, negation and source.

    Lists every code of the codebook with the reason it is, or is not, on the
    segment (no rule matched, negated, vetoed, removed by an override...).

    Example: qca explain fg-coaches:t0042 --code motivation
    """
    from rich.console import Console

    from qca.explain import explain_segment
    from qca.outputs import default_output_location, read_output
    from qca.render import render_explanation
    from qca.run.urls import local_outputs

    code = code or deprecated(old_code, old="qca explain -c CODE", new="--code CODE")
    with local_outputs(outdir if outdir is not None else default_output_location()) as local:
        coded = read_output(local)
    explanation = explain_segment(coded, segment_id, code=code)
    Console(highlight=False).print(render_explanation(explanation))
