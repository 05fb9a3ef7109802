"""Find the encoding of a text file's bytes and decode them.

Order: ``--encoding``; a byte-order mark; UTF-8 (the fast path: nothing else runs
when the bytes are valid UTF-8); UTF-16/UTF-32 without a BOM, told by where the NUL
bytes fall; else a legacy code page picked by charset-normalizer (imported only
then), with a warning that names it.
"""

from __future__ import annotations

import codecs
import re

from qca.errors import IngestError, Problem
from qca.ingest.text import SkipFile, strip_bom

#: Bytes looked at for NULs (binary files and BOM-less UTF-16/32).
SNIFF_BYTES = 8192
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Legacy code pages tried, best first when two read the bytes equally well:
#: cp1252 is a superset of latin-1's printable characters, so latin-1 files are named cp1252.
LEGACY_ENCODINGS: tuple[str, ...] = (
    "cp1252",
    "cp1250",
    "iso8859_2",
    "cp1251",
    "mac_roman",
    "latin_1",
)
#: How warnings name charset-normalizer's codecs (names --encoding accepts).
_DISPLAY = {"iso8859_2": "iso-8859-2", "latin_1": "latin-1", "mac_roman": "mac-roman"}
#: Control characters that never occur in a transcript (tab, LF, VT, FF, CR allowed).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
#: The same, and the C1 controls that latin-1 gives for bytes 0x80-0x9f.
_CONTROL_C1 = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def sniff_bom(data: bytes) -> str | None:
    """Return the codec named by a byte-order mark at the start of *data*, if any.

    Examples:
        >>> sniff_bom(b"\\xef\\xbb\\xbfhi"), sniff_bom(b"hi")
        ('utf-8-sig', None)
    """
    for bom, name in _BOMS:
        if data.startswith(bom) and (name != "utf-32" or len(data) % 4 == 0):
            return name
    return None


def check_encoding(encoding: str) -> None:
    """Raise :class:`IngestError` unless *encoding* names a text codec (``--encoding``).

    Examples:
        >>> check_encoding("cp1251")
        >>> check_encoding("klingon")
        Traceback (most recent call last):
        ...
        qca.errors.IngestError: --encoding: unknown encoding 'klingon'; use a codec name such as utf-8, cp1252, cp1251 or iso-8859-2
    """
    try:
        known = codecs.lookup(encoding)._is_text_encoding
    except LookupError:
        known = False
    if not known:
        raise IngestError(
            problems=[
                Problem(
                    "",
                    f"unknown encoding {encoding!r}; use a codec name such as "
                    "utf-8, cp1252, cp1251 or iso-8859-2",
                    where="--encoding",
                )
            ]
        )


def utf16_or_32(sample: bytes) -> str | None:
    """Name the UTF-16/32 codec that BOM-less *sample* looks like, from its NUL bytes.

    Text in UTF-16 has its NULs in every other byte (the high bytes of Latin
    letters, digits, spaces and line ends); in UTF-32, two or three of every four
    bytes are NUL. Binary data has NULs anywhere. The caller still checks that
    the bytes decode.

    Examples:
        >>> utf16_or_32("Anna: ja".encode("utf-16-le")), utf16_or_32(b"\\x89PNG\\x00\\x00\\x00\\r")
        ('utf-16-le', None)
    """
    size = len(sample)
    if size < 4:
        return None
    if size % 4 == 0:
        groups = [sample[i::4] for i in range(4)]
        if not groups[3].strip(b"\x00") and not groups[2].strip(b"\x00\x01\x02"):
            return "utf-32-le"
        if not groups[0].strip(b"\x00") and not groups[1].strip(b"\x00\x01\x02"):
            return "utf-32-be"
    sample = sample[: size - size % 2]
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    # Most text has a space or line end at least every 20 characters.
    if odd * 20 >= half and even * 10 <= odd:
        return "utf-16-le"
    if even * 20 >= half and odd * 10 <= even:
        return "utf-16-be"
    return None


def _utf16_by_parity(sample: bytes) -> str | None:
    """UTF-16 text with few ASCII characters (Chinese, say): NULs mostly on one parity.

    Examples:
        >>> _utf16_by_parity("中文: 你好。\n".encode("utf-16-le"))
        'utf-16-le'
    """
    sample = sample[: len(sample) - len(sample) % 2]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 2 * even:  # ASCII punctuation and line ends; a CJK character may end in 00
        return "utf-16-le"
    if even > 2 * odd:
        return "utf-16-be"
    return None


def _legacy(data: bytes) -> tuple[str, float] | None:
    """Return the legacy code page that reads *data* best, and charset-normalizer's confidence."""
    import charset_normalizer

    rank = {name: index for index, name in enumerate(LEGACY_ENCODINGS)}
    ranked: list[tuple[float, float, int, str]] = []
    for match in charset_normalizer.from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)):
        # A match stands for every code page that gives the same text; take the preferred one.
        names = [n for n in [match.encoding, *match.could_be_from_charset] if n in rank]
        if names:
            name = min(names, key=rank.__getitem__)
            ranked.append((round(match.chaos, 3), -round(match.coherence, 3), rank[name], name))
    for chaos, _, _, name in sorted(ranked):
        if _reads_as(data, name, True, _CONTROL_C1):
            # charset-normalizer's own detect() reports 1 - chaos as the confidence.
            return name, round(1 - chaos, 2)
    return None


def decode(data: bytes, path: str, encoding: str | None = None) -> tuple[str, list[Problem]]:
    """Decode a text file's bytes: the given encoding, else BOM, UTF-8, UTF-16/32, legacy.

    Args:
        data: The raw bytes.
        path: The file name used in problems.
        encoding: An explicit encoding (``--encoding``) that overrides detection.

    Returns:
        The decoded text (BOM removed) and warnings (e.g. "decoded as cp1251").

    Raises:
        SkipFile: For an empty or binary file, an unknown encoding, or undecodable bytes.

    Examples:
        >>> decode("Анна: да".encode("utf-16-le"), "a.txt")
        ('Анна: да', [])
    """
    if not data.strip():
        raise SkipFile(Problem(path, "file is empty; add the transcript text or remove the file"))
    if encoding is not None:
        return _decode_as(data, path, encoding), []
    if sniff_bom(data) is None and b"\x00" not in data[:SNIFF_BYTES]:
        try:
            return data.decode("utf-8"), []  # the fast path: one decode, no detection
        except UnicodeDecodeError:
            pass
    name, problems = detect_encoding(data, path)
    return _decode_as(data, path, name), problems


def _decode_as(data: bytes, path: str, encoding: str) -> str:
    try:
        return strip_bom(data.decode(encoding))
    except LookupError:
        raise SkipFile(
            Problem(path, f"unknown encoding {encoding!r}; use e.g. --encoding cp1252")
        ) from None
    except UnicodeDecodeError as exc:
        raise SkipFile(
            Problem(
                path,
                f"cannot decode byte {exc.start} as {encoding}; "
                "try another --encoding or save the file as UTF-8",
            )
        ) from None


def detect_encoding(
    data: bytes,
    path: str,
    *,
    complete: bool = True,
    binary: str = "is a binary file, not text; remove it or convert it to UTF-8 text",
) -> tuple[str, list[Problem]]:
    """Return the encoding of *data* (a whole file, or its start if not *complete*).

    Args:
        data: The bytes.
        path: The file name used in problems.
        complete: False when *data* is only the start of the file (a cut may split a
            UTF-8 character at the end).

    Returns:
        A codec name, and a warning when a legacy code page was guessed.

    Raises:
        SkipFile: For a binary file or bytes no candidate decodes.
    """
    bom = sniff_bom(data)
    if bom is not None:
        return bom, []
    head = data[:SNIFF_BYTES]
    if b"\x00" in head:
        wide = utf16_or_32(head) or _utf16_by_parity(head)
        if wide is not None and _reads_as(data, wide, complete):
            return wide, []
        raise SkipFile(Problem(path, binary))
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
        return "utf-8", []
    except UnicodeDecodeError as exc:
        position = exc.start
    found = _legacy(data)
    if found is None:
        raise SkipFile(
            Problem(
                path,
                f"cannot decode byte {position} as UTF-8 and no other encoding fits; "
                "save the file as UTF-8 or pass its encoding, e.g. --encoding cp1251",
            )
        )
    name, confidence = found
    shown = _DISPLAY.get(name, name)
    warning = Problem(
        path,
        f"not UTF-8; decoded as {shown} (confidence {confidence:.2f}); "
        "check the text or pass --encoding",
        severity="warning",
    )
    return shown, [warning]


def _reads_as(
    data: bytes, encoding: str, complete: bool, control: re.Pattern[str] = _CONTROL
) -> bool:
    """Whether *data* decodes as *encoding* into text without stray control characters."""
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return control.search(text) is None
