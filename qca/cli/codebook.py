"""``qca codebook check|show|convert``: validate, display and convert codebooks."""

from __future__ import annotations

import dataclasses
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qca.cli import app
from qca.cli._errors import print_problems, reports_errors, stderr

if TYPE_CHECKING:
    from rich.tree import Tree

    from qca.codebook.model import Codebook

codebook_app = typer.Typer(
    name="codebook",
    help="Check, show and convert codebooks and dictionaries.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)
app.add_typer(codebook_app, name="codebook")


class ShowFormat(str, Enum):
    tree = "tree"
    json = "json"
    markdown = "markdown"


class ConvertFormat(str, Enum):
    qca = "qca"
    quanteda = "quanteda"
    liwc = "liwc"
    dicx = "dicx"
    wordstat = "wordstat"
    qdc = "qdc"


def _summary(codebook: Codebook) -> str:
    from qca.codebook.build import rule_count

    themes, codes = len(codebook.themes), len(codebook.codes())
    return (
        f"{themes} theme{'s' * (themes != 1)}, {codes} code{'s' * (codes != 1)}, "
        f"{rule_count(codebook)} rules"
    )


@codebook_app.command("check")
@reports_errors
def codebook_check_cli(
    files: Annotated[
        list[Path], typer.Argument(help="Codebook YAML files to check.", show_default=False)
    ],
    strict: Annotated[
        bool, typer.Option("--strict", help="Treat warnings as errors (for CI).")
    ] = False,
) -> None:
    """Check codebooks: report every problem with file:line:col and how to fix it.

    Errors (unknown keys, wrong types, invalid spaCy patterns, regexes that do not
    compile, duplicate code ids) make the exit code 1; warnings (unquoted yes/no,
    overlapping terms, codes without rules or definitions) do too with --strict.

    Example: qca codebook check codebooks/*.yaml --strict
    """
    from qca.codebook.read import load_codebook

    failed = False
    for file in files:
        codebook, problems = load_codebook(file)
        if strict:
            problems = [dataclasses.replace(p, severity="error") for p in problems]
        print_problems(problems)
        if codebook is None or any(p.is_error for p in problems):
            failed = True
            continue
        warnings = len(problems)
        note = f"; {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
        stderr().print(f"{file}: ok ({_summary(codebook)}{note})", markup=False)
    if failed:
        raise typer.Exit(code=1)


@codebook_app.command("show")
@reports_errors
def codebook_show_cli(
    file: Annotated[Path, typer.Argument(help="A codebook or dictionary in any format qca reads.")],
    fmt: Annotated[
        ShowFormat,
        typer.Option("--format", "-f", help="tree, json, or markdown (an appendix for a paper)."),
    ] = ShowFormat.tree,
) -> None:
    """Show a codebook: themes, codes, definitions and rule counts.

    Use --format markdown for a codebook appendix (theme, code, definition,
    include/exclude, example) and --format json for scripts.

    Example: qca codebook show codebooks/esther.yaml --format markdown > appendix.md
    """
    from qca.codebook.dictionaries import read_dictionary
    from qca.codebook.show import codebook_to_json, codebook_to_markdown

    codebook = read_dictionary(file)
    if fmt is ShowFormat.json:
        typer.echo(codebook_to_json(codebook), nl=False)
    elif fmt is ShowFormat.markdown:
        typer.echo(codebook_to_markdown(codebook), nl=False)
    else:
        from rich.console import Console

        Console(highlight=False).print(_tree(codebook))


def _tree(codebook: Codebook) -> Tree:
    from rich.text import Text
    from rich.tree import Tree

    from qca.codebook.show import code_rule_count

    def label(name: str, title: str, rules: int | None, definition: str) -> Text:
        text = Text(name, style="bold")
        if title:
            text.append(f" {title}")
        if rules is not None:
            text.append(f" ({rules} rule{'s' * (rules != 1)})", style="dim")
        if definition:
            text.append(f": {' '.join(definition.split())}", style="italic")
        return text

    root = Tree(Text(f"{codebook.name} (version {codebook.version}; {_summary(codebook)})"))
    for theme in codebook.themes:
        branch = root.add(label(theme.id, theme.label, None, theme.definition))
        nodes: dict[str, Tree] = {}
        for code in theme.codes:
            parent = nodes.get(code.parent or "", branch)
            nodes[code.id] = parent.add(
                label(code.id, code.label, code_rule_count(code), code.definition)
            )
    return root


@codebook_app.command("convert")
@reports_errors
def codebook_convert_cli(
    source: Annotated[
        Path,
        typer.Argument(
            help="Input: qca or quanteda YAML, LIWC .dic/.dicx, WordStat .cat, REFI-QDA .qdc."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file.", dir_okay=False)],
    to: Annotated[
        ConvertFormat | None,
        typer.Option("--to", help="Output format; default from the suffix of -o (.yaml: qca)."),
    ] = None,
    language: Annotated[
        str, typer.Option("--language", help="Language of a dictionary's entries.")
    ] = "en",
) -> None:
    """Convert between qca YAML and quanteda YAML, LIWC, WordStat and REFI-QDA codebooks.

    What the output format cannot carry (definitions, patterns, weights, ...) is
    named in warnings on stderr, never dropped silently.

    Example: qca codebook convert mfd2.0.dic -o mfd.yaml
    """
    from qca.codebook.dictionaries import load_dictionary
    from qca.codebook.writers import FORMAT_NAMES, output_format, write_dictionary
    from qca.errors import CodebookError

    if output.resolve() == source.resolve():
        raise CodebookError(f"{output}: is the input file; choose another -o")
    fmt = output_format(output, to.value if to else None)
    codebook, problems = load_dictionary(source, language=language)
    problems += write_dictionary(codebook, output, fmt)
    print_problems(problems)
    stderr().print(f"wrote {output} ({FORMAT_NAMES[fmt]}: {_summary(codebook)})", markup=False)
