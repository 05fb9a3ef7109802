"""Tiny .odt, .rtf and .pdf files written by the tests themselves (no office suite needed)."""

from __future__ import annotations

import io


def make_odt(
    paragraphs: list[str],
    table: list[list[str]] | None = None,
    bold: list[tuple[str, str]] | None = None,
) -> bytes:
    """Return an OpenDocument text: *paragraphs*, then *bold* (label in a bold span, text)
    paragraphs, then a table of *table* rows."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P, S, Span

    document = OpenDocumentText()
    for paragraph in paragraphs:
        document.text.addElement(P(text=paragraph))
    if bold:
        strong = Style(name="T1", family="text")
        strong.addElement(TextProperties(fontweight="bold"))
        document.automaticstyles.addElement(strong)
        for label, text in bold:
            paragraph = P()
            paragraph.addElement(Span(stylename=strong, text=label))
            paragraph.addElement(S(c=2))
            paragraph.addText(text)
            document.text.addElement(paragraph)
    if table:
        grid = Table(name="Turns")
        grid.addElement(TableColumn(numbercolumnsrepeated=max(len(row) for row in table)))
        for row in table:
            line = TableRow()
            for value in row:
                cell = TableCell()
                cell.addElement(P(text=value))
                line.addElement(cell)
            grid.addElement(line)
        document.text.addElement(grid)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def make_rtf(paragraphs: list[str], codepage: int = 1252) -> bytes:
    """Return an RTF file: non-ASCII letters as ``\\'xx`` escapes in *codepage*."""
    body = []
    for paragraph in paragraphs:
        escaped = "".join(
            char
            if ord(char) < 128
            else "".join(f"\\'{b:02x}" for b in char.encode(f"cp{codepage}"))
            for char in paragraph.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
        )
        body.append(f"{{\\pard {escaped}\\par}}\n")
    header = f"{{\\rtf1\\ansi\\ansicpg{codepage}\\deff0{{\\fonttbl{{\\f0 Times New Roman;}}}}\n"
    return (header + "".join(body) + "}\n").encode("ascii")


def _pdf_string(text: str) -> str:
    """A PDF literal string in WinAnsiEncoding (octal escapes for non-ASCII)."""
    out = []
    for byte in text.encode("cp1252"):
        char = chr(byte)
        if char in "()\\":
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "(" + "".join(out) + ")"


def make_pdf(pages: list[list[str]]) -> bytes:
    """Return a PDF whose pages show *pages* (lines top-down, Helvetica); [] is a blank page."""
    objects: list[str] = []
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects.append("<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>")
    font = 3 + 2 * count
    for index, lines in enumerate(pages):
        stream = "".join(
            f"BT /F1 11 Tf 72 {760 - 16 * row} Td {_pdf_string(line)} Tj ET\n"
            for row, line in enumerate(lines)
        )
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {4 + 2 * index} 0 R >>"
        )
        data = stream.encode("latin-1")
        objects.append(
            f"<< /Length {len(data)} >>\nstream\n" + data.decode("latin-1") + "endstream"
        )
    objects.append(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
