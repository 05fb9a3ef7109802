"""Build the demo transcript ``transcripts/fg-faculty.docx`` from its plain-text source.

The source (``tools/demo_src/fg-faculty.txt``) is a tiny mark-up, one block per
paragraph, blocks separated by blank lines:

- ``# Title`` becomes the title paragraph;
- consecutive ``| key | value |`` lines become one two-column table;
- ``**Name:** text`` becomes a paragraph whose first run, ``Name:``, is bold
  (the speaker label, as typists write it), followed by the text;
- any other block is a plain paragraph (a turn continued with no name).

The output is byte-identical on every run: the core properties carry fixed
dates and the zip members carry a fixed timestamp, so a rebuild gives no diff.

Usage::

    .venv/bin/python tools/make_demo_docx.py            # rebuild the .docx
    .venv/bin/python tools/make_demo_docx.py --check    # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

import docx
from docx.document import Document
from docx.shared import Pt

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT / "tools" / "demo_src" / "fg-faculty.txt"
DEFAULT_OUTPUT = ROOT / "transcripts" / "fg-faculty.docx"

#: Fixed creation/modification date of the document (core properties).
FIXED_DATE = dt.datetime(2023, 5, 16, 14, 0, 0)
#: Fixed timestamp of every member of the zip container.
FIXED_ZIP_TIME = (2023, 5, 16, 14, 0, 0)

SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+?):\*\*\s*(?P<text>.*)$", re.DOTALL)


def read_blocks(source: Path) -> list[str]:
    """Return the blocks of *source*: runs of non-blank lines, joined by newlines."""
    text = source.read_text(encoding="utf-8")
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.strip().splitlines()
        if lines and lines[0].startswith("# "):  # a title ends at its line
            blocks.append(lines.pop(0))
        if lines:
            blocks.append("\n".join(lines))
    return blocks


def add_table(document: Document, lines: list[str]) -> None:
    """Append a two-column table with one row per ``| key | value |`` line."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    table = document.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    for row, (key, value) in zip(table.rows, rows, strict=True):
        row.cells[0].text = key
        row.cells[1].text = value
        for run in row.cells[0].paragraphs[0].runs:
            run.bold = True


def build_document(blocks: list[str]) -> Document:
    """Return a python-docx document with the title, the table and the speaker turns."""
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    for block in blocks:
        if block.startswith("# "):
            document.add_paragraph(block[2:].strip(), style="Title")
        elif block.startswith("|"):
            add_table(document, block.splitlines())
            document.add_paragraph("")
        elif match := SPEAKER.match(block):
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{match['name']}:").bold = True
            paragraph.add_run(f" {' '.join(match['text'].split())}")
        else:
            document.add_paragraph(" ".join(block.split()))
    props = document.core_properties
    props.author = "qca demo"
    props.last_modified_by = "qca demo"
    props.title = "Focus group 2: faculty and trainers (synthetic demo transcript)"
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.last_printed = FIXED_DATE
    props.revision = 1
    return document


def to_bytes(document: Document) -> bytes:
    """Serialise *document* with fixed zip timestamps so that rebuilds are byte-identical."""
    raw = io.BytesIO()
    document.save(raw)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Build (or, with ``--check``, verify) the demo .docx; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the output is stale"
    )
    args = parser.parse_args(argv)
    data = to_bytes(build_document(read_blocks(args.source)))
    if args.check:
        if not args.output.is_file() or args.output.read_bytes() != data:
            print(
                f"{args.output}: stale; rebuild it with: python tools/make_demo_docx.py",
                file=sys.stderr,
            )
            return 1
        return 0
    args.output.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
