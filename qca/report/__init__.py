"""``qca report``: the analysis of one output folder as one self-contained, offline HTML page.

The page holds everything inline (CSS, SVG charts drawn by matplotlib, no script, no font
file, no link outside the page), so it opens anywhere and can be sent as one file. The
same output folder and options give the same bytes: the only times in it are run.json's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem
from qca.report.numbers import ReportOptions

if TYPE_CHECKING:
    import pandas as pd

    from qca.report.sections import Figures, Flags, Frames

#: A page this size or more says so (the issue's limit for 10^5 survey comments is 20 MB).
MAX_BYTES = 20 * 1024 * 1024


def build_report(
    folder: str | Path,
    options: ReportOptions | None = None,
    *,
    stream: bool = True,
    rows: int | None = None,
) -> tuple[str, Figures]:
    """Return the report page of the output *folder* as HTML text, and its figures.

    The folder is read window by window in bounded memory (:mod:`qca.report.numbers`),
    unless its files are not in one order or *stream* is false: then it is read whole. The
    page is the same either way. *rows*: rows per record batch (tests make it tiny).

    Raises:
        OutputError: For a folder without coded output, an unknown ``by`` attribute, or an
            unreadable agreement table.

    Examples:
        >>> html, figures = build_report("qca-out", ReportOptions(by="role"))  # doctest: +SKIP
    """
    import jinja2

    from qca import __version__
    from qca.outputs import read_output
    from qca.report import sections as s
    from qca.report import text
    from qca.report.numbers import stream_numbers, whole_numbers
    from qca.theme_groups import check_attribute

    chosen = options or ReportOptions()
    streamed = stream_numbers(folder, chosen, rows=rows) if stream else None
    if streamed is not None:
        out, numbers = streamed
    else:
        out = read_output(folder)
        if chosen.by is not None:
            check_attribute(out.segments, chosen.by)
        frames: Frames = (out.hits, out.codings, out.segments, out.codes)
        flags: Flags = {
            "exclude_negated": chosen.exclude_negated,
            "include_interviewer": out.include_interviewer,
        }
        numbers = whole_numbers(out, frames, flags, chosen)
    agreement = _read_agreement(chosen.agreement) if chosen.agreement is not None else None
    codebook = _codebook(out.manifest, chosen.codebook)
    figures: Figures = {}
    parts = [s.frequencies(out, numbers.themes, figures)]
    if chosen.by is not None and numbers.groups is not None:
        parts.append(s.groups(out, numbers.groups, chosen.by, figures))
    parts.append(s.presence(out, numbers.presence, numbers.cases, chosen.max_cases, figures))
    parts.append(s.cooccurrence(out, numbers.cooccur, figures))
    drawn = numbers.codelines
    parts.append(
        s.codelines(
            drawn,
            (drawn.hits, drawn.codings, drawn.segments, drawn.codes),
            {
                "exclude_negated": chosen.exclude_negated,
                "include_interviewer": out.include_interviewer,
            },
            chosen.max_codelines,
            figures,
            documents=numbers.codeline_documents,
            total=numbers.transcripts,
        )
    )
    code_section, documents = text.codes(out, numbers.quotes, codebook)
    parts.append(code_section)
    parts.append(
        text.transcripts(
            numbers.quoted,
            documents,
            {
                "exclude_negated": chosen.exclude_negated,
                "include_interviewer": out.include_interviewer,
            },
        )
    )
    if agreement is not None and chosen.agreement is not None:
        parts.append(text.agreement(agreement, chosen.agreement.name))
    manifest = out.manifest
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("qca.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    codebook_info = manifest.get("codebook", {}) or {}
    html = environment.get_template("report.html.j2").render(
        title=f"qca report: {codebook_info.get('name') or Path(folder).name}",
        qca_version=__version__,
        manifest=manifest,
        codebook=codebook_info,
        counts=manifest.get("counts", {}) or {},
        run_tables=text.run_tables(manifest),
        problems=text.list_problems(manifest),
        sections=parts,
        by=chosen.by,
    )
    return html, figures


def write_report(
    folder: str | Path,
    output: str | Path,
    options: ReportOptions | None = None,
    *,
    figures: str | Path | None = None,
) -> list[Path]:
    """Write the report of *folder* to *output* (atomically); with *figures*, each chart as
    SVG, PNG (300 dpi) and PDF with a CSV of its numbers into that folder. Return the paths.

    Raises:
        OutputError: As :func:`build_report`, or when a destination cannot be written.
    """
    from qca.io import atomic_write_text
    from qca.report.charts import save_figure

    output = Path(output)
    figures = Path(figures) if figures is not None else None
    html, drawn = build_report(folder, options)
    atomic_write_text(output, html)
    written = [output]
    if figures is not None:
        try:
            figures.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"cannot create {figures}: {exc.strerror}; choose another --figures folder"
            ) from exc
        for name, (figure, numbers) in sorted(drawn.items()):
            written.extend(save_figure(figure, name, figures, numbers))
    return written


def _codebook(manifest: Any, given: Path | None) -> Any:
    """The codebook given, else the one run.json names if it is still there; else ``None``."""
    from qca.codebook import read_codebook

    if given is not None:
        return read_codebook(given)
    path = (manifest.get("codebook", {}) or {}).get("path")
    if not path or not Path(str(path)).is_file():
        return None
    try:
        return read_codebook(Path(str(path)))
    except Exception:  # an edited, now invalid codebook: the report goes on without definitions
        return None


def _read_agreement(path: Path) -> pd.DataFrame:
    import pandas as pd

    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            return pd.read_json(path)
        return pd.read_csv(
            path, sep="\t" if suffix == ".tsv" else ",", keep_default_na=False, na_values=[""]
        )
    except (OSError, ValueError) as exc:
        raise OutputError(
            problems=[
                Problem(
                    path.as_posix(),
                    f"cannot read this agreement table ({type(exc).__name__}); write one with "
                    f"qca agree ... --format csv -o {path.name}",
                    where="agreement",
                )
            ]
        ) from exc


__all__ = ["ReportOptions", "build_report", "write_report"]
