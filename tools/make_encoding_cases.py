"""Write the golden encoding cases: one interview, encoded in each encoding qca detects.

Run from the repository root, then regenerate the expected outputs:

    .venv/bin/python tools/make_encoding_cases.py
    QCA_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_ingest_cases.py -k encoding

``tests/test_ingest_encodings.py`` checks that each case decodes to the text written here.
"""

from __future__ import annotations

from pathlib import Path

CASES = Path(__file__).resolve().parent.parent / "tests" / "cases"

#: Every script at once, and a character outside the BMP (a surrogate pair in UTF-16).
MIXED = (
    "Interviewer: Could you each say where you work?\n"
    "Renée: À l'hôpital de Lyon, au service de gériatrie.\n"
    "Żaneta: W szpitalu w Łodzi, na oddziale dziecięcym.\n"
    "Анна: В районной больнице, уже двенадцать лет.\n"
    "Interviewer: Thank you 🙂 Was the training useful?\n"
    "Renée: Oui, très utile, surtout la partie sur l'éthique.\n"
)
FRENCH = (
    "Interviewer: Pouvez-vous me dire comment vous avez commencé à l'hôpital ?\n"
    "Renée: C'était il y a longtemps. D'abord j'étais infirmière, ensuite je suis "
    "devenue cadre de santé. Ça n'a pas été facile, mais ça valait le coup.\n"
    "Interviewer: Qu'est-ce qui a le plus changé depuis ?\n"
    "Renée: La charge de travail. On est moins nombreux, et les procédures sont "
    "plus lourdes qu'à l'époque. Mais l'équipe est très soudée.\n"
)
#: cp1252's own characters (€ “ ” œ … –) sit in bytes 0x80-0x9f, where latin-1 has controls.
FRENCH_CP1252 = FRENCH.replace("ensuite", "“ensuite”").replace(
    "la charge de travail.", "la charge de travail – et le cœur… 300 € de moins."
)
GERMAN = (
    "Interviewer: Können Sie erzählen, wie Ihre Arbeit im Krankenhaus begann?\n"
    "Jürgen: Das ist lange her. Zuerst war ich Pfleger, später Stationsleiter. "
    "Es war schwierig, aber es hat sich gelohnt, größtenteils.\n"
    "Interviewer: Was hat sich seitdem verändert?\n"
    "Jürgen: Die Arbeit ist dichter geworden. Früher hatten wir mehr Zeit für Gespräche "
    "mit den Patienten; heute zählt jede Minute.\n"
)
POLISH = (
    "Ankieter: Czy może pani opowiedzieć, jak zaczęła się pani praca w szpitalu?\n"
    "Żaneta: To było dawno. Najpierw pracowałam jako pielęgniarka, później zostałam "
    "oddziałową. Źle się czułam na początku, ale wytrzymałam.\n"
    "Ankieter: Co się zmieniło od tego czasu?\n"
    "Żaneta: Więcej dokumentów, mniej rąk do pracy. Ściśle mówiąc, każdy dyżur jest "
    "dłuższy, a pacjentów przybyło.\n"
)
RUSSIAN = (
    "Интервьюер: Анна, расскажите, пожалуйста, как вы начали работать в больнице?\n"
    "Анна: Это было давно. Сначала я работала медсестрой, потом стала старшей сестрой "
    "отделения. Было тяжело, но я справилась.\n"
    "Интервьюер: Что изменилось с тех пор?\n"
    "Анна: Больше бумаг, меньше рук. Каждое дежурство длиннее, а пациентов стало больше.\n"
)

#: case name -> (text, Python codec, Windows line ends, byte-order mark to prepend)
ENCODINGS: dict[str, tuple[str, str, bool, bytes]] = {
    "utf8": (MIXED, "utf-8", False, b""),
    "utf8-sig": (MIXED, "utf-8-sig", True, b""),
    "utf16le-bom": (MIXED, "utf-16-le", True, b"\xff\xfe"),
    "utf16be-bom": (MIXED, "utf-16-be", False, b"\xfe\xff"),
    "utf16le": (MIXED, "utf-16-le", True, b""),
    "utf16be": (MIXED, "utf-16-be", False, b""),
    "utf32-bom": (MIXED, "utf-32-le", False, b"\xff\xfe\x00\x00"),
    "utf32be": (MIXED, "utf-32-be", False, b""),
    "cp1250": (POLISH, "cp1250", True, b""),
    "cp1251": (RUSSIAN, "cp1251", True, b""),
    "cp1252": (FRENCH_CP1252, "cp1252", True, b""),
    "latin1": (GERMAN, "latin-1", False, b""),
    "latin2": (POLISH, "iso-8859-2", False, b""),
    "mac-roman": (FRENCH, "mac-roman", False, b""),
}


def encoded(name: str) -> bytes:
    """Return the bytes of case *name*'s transcript."""
    text, codec, crlf, bom = ENCODINGS[name]
    if crlf:
        text = text.replace("\n", "\r\n")
    return bom + text.encode(codec)


def main() -> None:
    for name in ENCODINGS:
        folder = CASES / f"ingest-encoding-{name}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "interview.txt").write_bytes(encoded(name))
        (folder / "args.txt").write_text("-f\ncsv\n", encoding="utf-8")


if __name__ == "__main__":
    main()
