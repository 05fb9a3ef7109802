"""``qca report``: the analysis of one output folder as one self-contained, offline HTML page.

The page holds everything inline (CSS, SVG charts drawn by matplotlib, no script, no font
file, no link outside the page), so it opens anywhere and can be sent as one file. The
same output folder and options give the same bytes: the only times in it are run.json's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from qca.report.sections import Figures, Flags, Frames

#: A page this size or more says so (the issue's limit for 10^5 survey comments is 20 MB).
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ReportOptions:
    """What ``qca report`` shows.

    Attributes:
        by: An attribute to compare groups by (heat map, Wilson intervals, tests); none: no
            group section.
        codebook: The codebook for definitions and rules; default: the one run.json names.
        agreement: A csv/json/tsv table written by ``qca agree``, shown as a section.
        quotes: Exemplar quotes per code.
        exclude_negated: Do not count negated hits.
        max_cases: Above this many documents the presence heat map is left out.
        max_codelines: At most this many Codelines (one per transcript).
    """

    by: str | None = None
    codebook: Path | None = None
    agreement: Path | None = None
    quotes: int = 3
    exclude_negated: bool = False
    max_cases: int = 100
    max_codelines: int = 60


def build_report(folder: str | Path, options: ReportOptions | None = None) -> tuple[str, Figures]:
    """Return the report page of the output *folder* as HTML text, and its figures.

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
    from qca.themes import check_attribute

    chosen = options or ReportOptions()
    out = read_output(folder)
    if chosen.by is not None:
        check_attribute(out.segments, chosen.by)
    agreement = _read_agreement(chosen.agreement) if chosen.agreement is not None else None
    codebook = _codebook(out.manifest, chosen.codebook)
    frames: Frames = (out.hits, out.codings, out.segments, out.codes)
    flags: Flags = {
        "exclude_negated": chosen.exclude_negated,
        "include_interviewer": out.include_interviewer,
    }
    figures: Figures = {}
    parts = [s.frequencies(out, frames, flags, figures)]
    if chosen.by is not None:
        parts.append(s.groups(out, frames, flags, chosen.by, figures))
    parts.append(s.presence(out, frames, flags, chosen.max_cases, figures))
    parts.append(s.cooccurrence(out, frames, flags, figures))
    parts.append(s.codelines(out, frames, flags, chosen.max_codelines, figures))
    code_section, documents = text.codes(out, frames, flags, codebook, chosen.quotes)
    parts.append(code_section)
    parts.append(text.transcripts(out, documents, flags))
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
