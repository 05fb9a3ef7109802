"""Readers for word-processor and print formats: ``.odt``, ``.rtf`` and ``.pdf`` (#15).

Each turns a file's bytes into one :class:`~qca.ingest.readers.Document` whose text
goes through the same speaker detection as a ``.txt`` file. A file that cannot be
read raises :class:`SkipFile` with a one-line problem.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from qca.errors import Problem
from qca.ingest.base import IngestOptions
from qca.ingest.readers import Document, check_zip, table_lines
from qca.ingest.speakers import is_label_name
from qca.ingest.text import SkipFile, normalise

#: Lines at the top and at the bottom of each PDF page where headers and footers are looked for.
HEADER_LINES = 3
#: Page numbers: "3", "- 3 -", "3/7", "Page 3", "Page 3 of 7", "p. 3", "Seite 3 von 7", "Sida 3 av 7".
_PAGE_NUMBER = re.compile(
    r"[-–—\s]*(?:(?:page|p\.|pg\.?|seite|sida|side|pagina|página|strona|стр\.?|страница)\s*)?"
    r"\d{1,4}\s*(?:(?:/|of|von|av|de|sur|di|z|из)\s*\d{1,4})?[-–—\s]*",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
_LABEL_ONLY = re.compile(r"[^\W\d_][\w'’. -]{0,40}:")


def _document(path: Path, data: bytes, text: str, fmt: str) -> Document:
    text = normalise(text)
    if not text.strip():
        raise SkipFile(Problem(str(path), "has no text; add the transcript or remove the file"))
    return Document(path.stem, str(path), fmt, hashlib.sha256(data).hexdigest(), text)


# --- .odt ------------------------------------------------------------------------------


def _bold_styles(document: Any) -> frozenset[str]:
    """Names of the text styles that are bold (directly or through a parent style)."""
    from odf.style import Style, TextProperties

    styles: dict[str, tuple[str, str]] = {}
    for holder in (document.styles, document.automaticstyles):
        for style in holder.getElementsByType(Style):
            weights = [
                p.getAttribute("fontweight") for p in style.getElementsByType(TextProperties)
            ]
            weight = next((w for w in weights if w), "")
            styles[style.getAttribute("name")] = (
                weight,
                style.getAttribute("parentstylename") or "",
            )
    bold = set()
    for name in styles:
        current, seen = name, set()
        while current in styles and current not in seen:
            seen.add(current)
            weight, current = styles[current][0], styles[current][1]
            if weight:
                if weight == "bold" or (weight.isdigit() and int(weight) >= 600):
                    bold.add(name)
                break
    return frozenset(bold)


def _node_text(node: Any) -> str:
    """The text of a paragraph's child: a text node, a span, or a space/tab/line break."""
    from odf import teletype

    if node.nodeType == node.TEXT_NODE:
        return str(node.data)
    name = node.qname[1]
    if name == "s":
        return " " * int(node.getAttribute("c") or 1)
    return {"tab": "\t", "line-break": "\n"}.get(name) or str(teletype.extractText(node))


def _paragraph_text(paragraph: Any, bold: frozenset[str], known: set[str]) -> str:
    """A paragraph's text; bold spans at its start are a speaker label (as in .docx)."""
    children = list(paragraph.childNodes)
    index = 0
    while index < len(children):
        child = children[index]
        is_bold = (
            child.nodeType == child.ELEMENT_NODE
            and child.qname[1] == "span"
            and child.getAttribute("stylename") in bold
        )
        if not (is_bold or not _node_text(child).strip()):
            break
        index += 1
    label = "".join(_node_text(child) for child in children[:index]).strip()
    rest = "".join(_node_text(child) for child in children[index:])
    name = label.rstrip(":").strip()
    if name and is_label_name(name) and (rest.strip() or label.endswith(":")):
        known.add(name)
        content = rest.strip().lstrip(":").strip()
        return f"{name}: {content}" if content else f"{name}:"
    return "".join(_node_text(child) for child in children)


def _odt_blocks(element: Any, bold: frozenset[str], known: set[str]) -> list[str]:
    """Paragraphs, headings, list items and table rows under *element*, in order."""
    blocks: list[str] = []
    for child in element.childNodes:
        if child.nodeType != child.ELEMENT_NODE:
            continue
        name = child.qname[1]
        if name in ("p", "h"):
            blocks.append(_paragraph_text(child, bold, known))
        elif name == "table":
            rows = [
                [text for cell in _elements(row, "table-cell") if (text := _cell_text(cell, bold))]
                for row in _elements(child, "table-row")
            ]
            blocks.extend(table_lines(rows, known))
        elif name in ("list", "list-item", "list-header", "section", "index-body"):
            blocks.extend(_odt_blocks(child, bold, known))
    return blocks


def _elements(element: Any, name: str) -> list[Any]:
    """Descendants of *element* named *name* (not inside a nested one of the same name)."""
    found = []
    for child in element.childNodes:
        if child.nodeType != child.ELEMENT_NODE:
            continue
        if child.qname[1] == name:
            found.append(child)
        elif child.qname[1] not in ("table",):  # rows of a nested table belong to it
            found.extend(_elements(child, name))
    return found


def _cell_text(cell: Any, bold: frozenset[str]) -> str:
    blocks = _odt_blocks(cell, bold, set())
    return "\n".join(block for block in blocks if block.strip()).strip()


def read_odt(path: Path, data: bytes, options: IngestOptions) -> tuple[Document, list[Problem]]:
    """Read an OpenDocument text (LibreOffice Writer): paragraphs, bold labels, table rows."""
    check_zip(data, path, ".odt")
    from odf.opendocument import load

    try:
        document = load(io.BytesIO(data))
        known: set[str] = set()
        blocks = _odt_blocks(document.text, _bold_styles(document), known)
    except Exception:  # odfpy raises many types for a damaged package
        raise SkipFile(
            Problem(str(path), "is not a valid .odt document (damaged); re-save it from Writer")
        ) from None
    text = "\n\n".join(block for block in blocks if block.strip())
    read = _document(path, data, text, "odt")
    read.known_speakers = tuple(sorted(known))
    return read, []


# --- .rtf ------------------------------------------------------------------------------


def read_rtf(path: Path, data: bytes, options: IngestOptions) -> tuple[Document, list[Problem]]:
    """Read a Rich Text Format file; its code page comes from ``\\ansicpg`` (or --encoding)."""
    if not data.lstrip().startswith(b"{\\rtf"):
        raise SkipFile(
            Problem(str(path), "is not an RTF file (no {\\rtf header); re-save it as RTF or .docx")
        )
    from striprtf.striprtf import rtf_to_text

    try:
        # RTF is 7-bit: other characters are escapes, decoded in the file's own code page.
        text: str = rtf_to_text(  # type: ignore[no-untyped-call]  # striprtf has no hints
            data.decode("latin-1"), encoding=options.encoding or "cp1252"
        )
    except (UnicodeDecodeError, LookupError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise SkipFile(
            Problem(
                str(path),
                f"cannot decode the RTF text ({reason}); pass its code page, e.g. --encoding cp1251",
            )
        ) from None
    except Exception:  # striprtf trips over some malformed control words
        raise SkipFile(
            Problem(str(path), "is not a valid RTF file (damaged); re-save it as RTF or .docx")
        ) from None
    return _document(path, data, text, "rtf"), []


# --- .pdf ------------------------------------------------------------------------------


def _pdf_pages(path: Path, data: bytes) -> list[str]:
    """Return the text layer of each page."""
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)  # pypdf logs recoverable damage; the text is what counts
    try:
        with warnings.catch_warnings():  # ... and may warn about it too
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            # An owner password alone still opens with the empty user password.
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise FileNotDecryptedError("a password is needed")
            return [page.extract_text() or "" for page in reader.pages]
    except (FileNotDecryptedError, DependencyError):  # DependencyError: AES needs `cryptography`
        raise SkipFile(
            Problem(
                str(path),
                "is encrypted (password-protected); save an unprotected copy or export its text",
            )
        ) from None
    except Exception:  # a damaged file can raise nearly anything inside pypdf
        raise SkipFile(
            Problem(str(path), "is not a valid PDF (damaged); re-save it or export its text")
        ) from None
    finally:
        logger.setLevel(level)


def pdf_text(pages: list[str]) -> str:
    """Join PDF pages' text, without running headers, footers and page numbers.

    Removed: page-number lines ("3", "3/7", "- 3 -", "Page 3 of 7") as the first or
    last line of a page (or the second, "3" alone excepted); lines found among the
    first and last :data:`HEADER_LINES` lines of every page (digits ignored, so
    "Interview P3, page 2" counts), when there are two or more pages and the line
    is not a lone speaker label; and columns of line numbers (lines holding only
    consecutive numbers: three or more, or two at the top or bottom of a page).
    Runs of spaces and tabs become one space.

    Examples:
        >>> pdf_text(["1/2\\nStudy X\\nDan: Hi.\\n", "2/2\\nStudy X\\nAnna: Hello.\\n"])
        'Dan: Hi.\\nAnna: Hello.'
    """
    split = [[" ".join(line.split()) for line in page.split("\n")] for page in pages]
    split = [_drop_number_columns([line for line in lines if line]) for lines in split]
    repeated: set[str] = set()
    if len(split) >= 2:
        counts = Counter(
            key for lines in split for key in {_DIGITS.sub("#", lines[i]) for i in _zone(lines)}
        )
        repeated = {
            key
            for key, count in counts.items()
            if count == len(split) and not _LABEL_ONLY.fullmatch(key)
        }
    kept: list[str] = []
    for lines in split:
        zone = set(_zone(lines))
        last = len(lines) - 1
        for index, line in enumerate(lines):
            if index in zone and (
                _DIGITS.sub("#", line) in repeated
                or (
                    _PAGE_NUMBER.fullmatch(line)
                    and (index in (0, last) or (index in (1, last - 1) and not line.isdigit()))
                )
            ):
                continue
            kept.append(line)
    return "\n".join(kept)


def _zone(lines: list[str]) -> list[int]:
    """Indexes of the header and footer lines of a page."""
    size = len(lines)
    return sorted({*range(min(HEADER_LINES, size)), *range(max(size - HEADER_LINES, 0), size)})


def _drop_number_columns(lines: list[str]) -> list[str]:
    """Drop a page's columns of line numbers.

    A column is lines holding only consecutive numbers: three or more in a row, or
    two at the top or the bottom of the page.
    """
    kept: list[str] = []
    index = 0
    while index < len(lines):
        end = index
        while (
            end < len(lines)
            and lines[end].isdigit()
            and (end == index or int(lines[end]) == int(lines[end - 1]) + 1)
        ):
            end += 1
        if end - index >= 3 or (end - index == 2 and (index == 0 or end == len(lines))):
            index = end
            continue
        kept.append(lines[index])
        index += 1
    return kept


def read_pdf(path: Path, data: bytes, options: IngestOptions) -> tuple[Document, list[Problem]]:
    """Read a PDF's text layer (no OCR): pages joined, running headers and footers dropped."""
    pages = _pdf_pages(path, data)
    if not any(page.strip() for page in pages):
        raise SkipFile(
            Problem(
                str(path),
                "has no text layer (a scanned image?); run OCR on it (e.g. ocrmypdf) "
                "or export the text from the program that made it",
            )
        )
    return _document(path, data, pdf_text(pages), "pdf"), []
