"""What ``qca import`` cannot represent in a REFI-QDA project, counted per kind (issue #17).

qca codes text, so a coded PDF area, picture region, audio or video stretch has no
segment to land on. ``qca import`` used to drop them without a word (7 of 16
codings in the ATLAS.ti 8 sample); now each kind is one warning line with its count,
and ``qca import --strict`` makes them errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element

from qca.errors import Problem

#: Source kinds whose own (non-text) selections and whole-source codings qca cannot keep.
MEDIA_SOURCES = ("PDFSource", "PictureSource", "AudioSource", "VideoSource")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _codings(element: Element) -> int:
    return sum(1 for child in element if _local(child.tag) == "Coding")


def _non_text(source: Element) -> Iterator[tuple[str, int]]:
    """Yield (selection kind, codings) for the non-text selections of one source."""
    for child in source:
        tag = _local(child.tag)
        if tag == "Representation":
            continue  # a PDF's text representation: its PlainTextSelections are read
        if tag.endswith("Selection") and tag != "PlainTextSelection":
            yield tag, _codings(child)
    if _local(source.tag) in MEDIA_SOURCES and _codings(source):
        yield f"whole {_local(source.tag)}", _codings(source)


def count_unrepresented(sources: Element | None) -> dict[str, int]:
    """Return selection kind -> codings that qca cannot represent (only kinds with codings).

    Examples:
        >>> from xml.etree.ElementTree import fromstring
        >>> count_unrepresented(fromstring(
        ...     "<Sources><PictureSource><PictureSelection><Coding/></PictureSelection>"
        ...     "</PictureSource></Sources>"))
        {'PictureSelection': 1}
    """
    counts: dict[str, int] = {}
    if sources is None:
        return counts
    for source in sources:
        for kind, number in _non_text(source):
            if number:
                counts[kind] = counts.get(kind, 0) + number
    return counts


def loss_problems(
    shown: str,
    unrepresented: dict[str, int],
    missing: list[tuple[str, int]],
    uncoded: list[str],
) -> list[Problem]:
    """Return one warning per kind of loss: non-text codings, missing sources, unused codes.

    Args:
        shown: The project path to name.
        unrepresented: Selection kind -> codings (from :func:`count_unrepresented`).
        missing: (document, codings) of each source whose text is not in the archive.
        uncoded: The code ids that no coding uses.

    Examples:
        >>> [str(p) for p in loss_problems("p.qdpx", {"PDFSelection": 4}, [], [])]
        ['p.qdpx: 4 codings of PDF, picture, audio or video selections are not imported (4 PDFSelection); qca codes text only: code them on the text in the other tool, or use its text export']
    """
    problems = []
    total = sum(unrepresented.values())
    if total:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(unrepresented.items()))
        problems.append(
            Problem(
                shown,
                f"{total} codings of PDF, picture, audio or video selections are not imported "
                f"({kinds}); qca codes text only: code them on the text in the other tool, "
                "or use its text export",
                severity="warning",
            )
        )
    if missing:
        names = ", ".join(doc for doc, _ in missing[:5]) + (", ..." if len(missing) > 5 else "")
        codings = sum(n for _, n in missing)
        problems.append(
            Problem(
                shown,
                f"{len(missing)} sources have no text in the archive ({names}); their "
                f"{codings} codings are kept with their offsets and empty segment text; "
                "export the project again with its sources",
                severity="warning",
            )
        )
    if uncoded:
        names = ", ".join(uncoded[:5]) + (", ..." if len(uncoded) > 5 else "")
        problems.append(
            Problem(
                shown,
                f"{len(uncoded)} codes have no codings ({names}); they are kept in the codebook",
                severity="warning",
            )
        )
    return problems
