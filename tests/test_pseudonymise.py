"""qca pseudonymise: every listed item replaced, nothing else changed, byte-exact reverse (#21)."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.pseudonymise import PseudonymiseOptions, pseudonymise_files, read_key, reverse_files

ROOT = Path(__file__).resolve().parent.parent
LINES = [
    "Interviewer: Welcome, Anna. Please say who you are.",
    "Anna Berg: I'm Anna, a coach. Tom's team and ANNA BERG's team met weekly.",
    "Tom Hughes: Write to tom.hughes@example.org or ring 07700 900123.",
    "Anna Berg: Her NHS number is 943 476 5919, not 943 476 5918; Berg's notes say so.",
]
#: What must be gone from every copy.
LISTED = ["Anna", "ANNA", "Berg", "Tom", "tom.hughes@example.org", "07700 900123", "943 476 5919"]
#: What must still be there (a ten-digit number with a wrong check digit, role labels).
KEPT = ["Interviewer", "943 476 5918", "coach"]


def _corpus(folder: Path) -> Path:
    """Write the same interview as txt, md, vtt, srt, csv, xlsx and docx."""
    import docx
    import openpyxl

    folder.mkdir()
    (folder / "a.txt").write_text("\n\n".join(LINES) + "\n", encoding="utf-8")
    (folder / "b.md").write_bytes(("\r\n\r\n".join(LINES) + "\r\n").encode("utf-8"))
    cues = []
    for i, line in enumerate(LINES):
        speaker, text = line.split(": ", 1)
        cues.append(f"{i + 1}\n00:00:0{i}.000 --> 00:00:0{i}.900\n<v {speaker}>{text}</v>\n")
    (folder / "c.vtt").write_text("WEBVTT\n\n" + "\n".join(cues), encoding="utf-8")
    srt = [f"{i + 1}\n00:00:0{i},000 --> 00:00:0{i},900\n{line}\n" for i, line in enumerate(LINES)]
    (folder / "d.srt").write_text("\n".join(srt), encoding="utf-8")
    rows = [line.split(": ", 1) for line in LINES]
    csv = "speaker,text\n" + "".join(f'{s},"{t}"\n' for s, t in rows)
    (folder / "e.csv").write_text(csv, encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["speaker", "text"])
    for speaker, text in rows:
        sheet.append([speaker, text])
    book.save(folder / "f.xlsx")
    document = docx.Document()
    for line in LINES:
        speaker, text = line.split(": ", 1)
        paragraph = document.add_paragraph()
        paragraph.add_run(speaker + ":").bold = True
        # a name split over two runs is still found
        head, _, tail = text.partition("Anna")
        paragraph.add_run(" " + head + ("An" if _ else ""))
        if _:
            paragraph.add_run("na" + tail)
    document.save(str(folder / "g.docx"))
    return folder


def _visible(path: Path) -> str:
    """The text a reader sees: the file for text formats, cells or paragraphs for Office."""
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path)
        return "\n".join(
            "\t".join(str(c) for c in row if c is not None)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if path.suffix == ".docx":
        import docx

        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    return path.read_text(encoding="utf-8")


def _expected(original: str, key_path: Path) -> str:
    """The original text with each listed item replaced by its pseudonym in the key."""
    entries = json.loads(key_path.read_text(encoding="utf-8"))["pseudonyms"]
    mapping = {}
    for ident, pseudonym in entries.items():
        kind, _, value = ident.split(":", 2)
        mapping[value] = pseudonym
    forms = {
        "Anna Berg": mapping["Anna Berg"],
        "ANNA BERG": mapping["Anna Berg"],
        "Anna": mapping["Anna Berg"],
        "ANNA": mapping["Anna Berg"],
        "Berg": mapping["Anna Berg"],
        "Tom Hughes": mapping["Tom Hughes"],
        "Tom": mapping["Tom Hughes"],
        "tom.hughes@example.org": mapping["tom.hughes@example.org"],
        "07700 900123": mapping["07700900123"],
        "943 476 5919": mapping["9434765919"],
    }
    pattern = re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
    return pattern.sub(lambda m: forms[m.group()], original)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return _corpus(tmp_path / "in")


def test_pseudonymise_every_item_replaced_nothing_else(corpus: Path, tmp_path: Path) -> None:
    key = tmp_path / "study.key"
    result = pseudonymise_files([corpus], tmp_path / "out", key)
    assert [p for p in result.problems if p.is_error] == []
    assert len(result.written) == 7
    for original in sorted(corpus.iterdir()):
        copy = tmp_path / "out" / original.name
        seen = _visible(copy)
        for item in LISTED:
            assert item not in seen, (copy.name, item)
        for item in KEPT:
            assert item in seen, (copy.name, item)
        # the diff outside the replacements is empty
        assert seen == _expected(_visible(original), key), copy.name


def test_pseudonymise_reverse_is_byte_exact_for_every_format(corpus: Path, tmp_path: Path) -> None:
    key = tmp_path / "study.key"
    pseudonymise_files([corpus], tmp_path / "out", key)
    written, problems = reverse_files([tmp_path / "out"], tmp_path / "back", key)
    assert problems == []
    assert len(written) == 7
    for original in corpus.iterdir():
        assert (tmp_path / "back" / original.name).read_bytes() == original.read_bytes()


def test_pseudonymise_same_key_same_output_other_key_other_pseudonyms(
    corpus: Path, tmp_path: Path
) -> None:
    key = tmp_path / "one.key"
    pseudonymise_files([corpus], tmp_path / "a", key)
    pseudonymise_files([corpus], tmp_path / "b", key)
    fresh = tmp_path / "fresh.key"
    secret = read_key(key, create=False)[0].secret.hex()
    fresh.write_text(json.dumps({"format": 1, "secret": secret, "pseudonyms": {}, "files": {}}))
    pseudonymise_files([corpus], tmp_path / "c", fresh)
    pseudonymise_files([corpus], tmp_path / "d", tmp_path / "two.key")
    for original in corpus.iterdir():
        a = (tmp_path / "a" / original.name).read_bytes()
        assert a == (tmp_path / "b" / original.name).read_bytes()
        assert a == (tmp_path / "c" / original.name).read_bytes()  # the secret decides
        assert a != (tmp_path / "d" / original.name).read_bytes()
    one = read_key(key, create=False)[0].entries
    two = read_key(tmp_path / "two.key", create=False)[0].entries
    assert one.keys() == two.keys()
    assert one != two


def test_pseudonymise_key_file_is_private(corpus: Path, tmp_path: Path) -> None:
    key = tmp_path / "study.key"
    pseudonymise_files([corpus], tmp_path / "out", key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not list((tmp_path / "out").glob("*.key"))


def test_pseudonymise_cli_messages(runner: CliRunner, corpus: Path, tmp_path: Path) -> None:
    key = (tmp_path / "study.key").as_posix()
    out = (tmp_path / "out").as_posix()
    result = runner.invoke(app, ["pseudonymise", str(corpus), "--key", key, "-d", out])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"pseudonymised 7 files into {out}: 77 replacements (7 e-mail addresses, "
        f"7 NHS numbers, 56 names, 7 phone numbers); key: {key} (keep it private)\n"
    )
    back = (tmp_path / "back").as_posix()
    result = runner.invoke(app, ["pseudonymise", out, "--key", key, "-d", back, "--reverse"])
    assert (result.exit_code, result.stderr) == (0, f"restored 7 files into {back}\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "k.key"], "give the folder for the copies with -d FOLDER, or use --dry-run\n"),
        (
            ["--key", "out/k.key", "-d", "out"],
            "out/k.key: --key: the key must not go into the output folder (it holds the "
            "originals); keep it elsewhere, e.g. --key ../study.key\n",
        ),
        (
            ["--key", "k.key", "-d", "in"],
            "in/a.txt: -o: would be overwritten by its pseudonymised copy; "
            "choose another -d folder\n",
        ),
        (
            ["--key", "k.key", "-d", "out", "--names", "missing.txt"],
            "missing.txt: --names: no such file; check the --names path\n",
        ),
        (
            ["--key", "k.key", "-d", "out", "--model", "no_such_pipeline"],
            "--model: cannot load spaCy pipeline 'no_such_pipeline'; give an installed "
            "pipeline package or its folder (qca downloads no models)\n",
        ),
        (
            ["--key", "missing.key", "-d", "back", "--reverse"],
            "missing.key: --key: no such key file; give the --key used to pseudonymise "
            "these files\n",
        ),
        (
            ["--key", "k.key", "--dry-run", "-f", "xlsx"],
            "--dry-run prints the review on stdout; use --format csv and redirect it\n",
        ),
        (
            ["--key", "k.key", "--dry-run", "--reverse", "-d", "x"],
            "--dry-run lists replacements; leave it out with --reverse\n",
        ),
    ],
)
def test_pseudonymise_cli_errors(
    runner: CliRunner,
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["pseudonymise", "in", *args])
    assert (result.exit_code, result.stderr) == (1, message)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_pseudonymise_cli_bad_file_reported_others_written(
    runner: CliRunner, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (corpus / "h.rtf").write_text(r"{\rtf1\ansi Anna Berg: Hello.}", encoding="ascii")
    result = runner.invoke(app, ["pseudonymise", "in", "--key", "k.key", "-d", "out"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "in/h.rtf: cannot write .rtf files; convert it to .docx or .txt and run again"
    )
    assert len(list((tmp_path / "out").iterdir())) == 7


def test_pseudonymise_reverse_changed_copy_reported(
    runner: CliRunner, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner.invoke(app, ["pseudonymise", "in", "--key", "k.key", "-d", "out"])
    with (tmp_path / "out" / "a.txt").open("a", encoding="utf-8") as handle:
        handle.write("An edit.\n")
    result = runner.invoke(
        app, ["pseudonymise", "out", "--key", "k.key", "-d", "back", "--reverse"]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "out/a.txt: not written by qca pseudonymise with this key, or changed since; "
        "reverse needs the copy as it was written and the key that made it\n"
        "restored 6 files into back\n"
    )


def test_pseudonymise_dry_run_lists_and_flags(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Path("in/a.txt").write_text(
        "Interviewer: Hello Anna.\n\nAnna Berg: We met Olle at the ward.\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["pseudonymise", "in", "--key", "k.key", "--dry-run", "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0] == "kind,original,pseudonym,count,files,context"
    assert [r.split(",")[:2] + r.split(",")[3:5] for r in rows[1:]] == [
        ["person", "Anna", "1", "a.txt"],
        ["person", "Anna Berg", "1", "a.txt"],
        ["unlisted", "Olle", "1", ""],
    ]
    assert rows[3].endswith(",,ello Anna. Anna Berg: We met [Olle] at the ward.")
    assert read_key(Path("k.key"), create=False)[0].entries == {}  # the secret only
    assert result.stderr == ""


def test_pseudonymise_names_file_and_participants(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "I: Did Lisa or Dr Okafor help? Was it in Leeds?\n\nR: Lisa did, with Okafor.\n",
        encoding="utf-8",
    )
    (tmp_path / "names.txt").write_text("Leeds [place]\nLisa Grey; Lisa [colleague]\n")
    (tmp_path / "people.csv").write_text("doc_id,speaker,name\na,R,Chidi Okafor\n")
    options = PseudonymiseOptions(
        names=tmp_path / "names.txt",
        participants=tmp_path / "people.csv",
        name_columns=("name",),
    )
    pseudonymise_files([folder], tmp_path / "out", tmp_path / "k.key", options)
    text = (tmp_path / "out" / "a.txt").read_text(encoding="utf-8")
    assert re.fullmatch(
        r"I: Did \[COLLEAGUE \d+\] or Dr (P\d\d) help\? Was it in \[PLACE \d+\]\?\n\n"
        r"R: \[COLLEAGUE \d+\] did, with \1\.\n",
        text,
    ), text


def test_pseudonymise_demo_corpus_themes_unchanged(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    transcripts = ROOT / "transcripts"
    codebook = str(ROOT / "codebooks" / "esther.yaml")
    made = runner.invoke(app, ["pseudonymise", str(transcripts), "--key", "k.key", "-d", "pseu"])
    assert made.exit_code == 0, made.stderr
    assert "Anna" not in Path("pseu/fg-coaches.vtt").read_text(encoding="utf-8")
    tables = []
    for folder, out in ((transcripts, "a"), (Path("pseu"), "b")):
        participants = str(folder / "participants.csv")
        coded = runner.invoke(
            app, ["code", str(folder), "--participants", participants, "-c", codebook, "-d", out]
        )
        assert coded.exit_code == 0, coded.stderr
        themes = runner.invoke(app, ["themes", out, "--format", "csv"])
        by_role = runner.invoke(app, ["themes", out, "--by", "role", "--format", "csv"])
        tables.append((themes.stdout, by_role.stdout))
    assert tables[0] == tables[1]
    assert tables[0][0].count("\n") > 10


def test_pseudonymise_docstring_examples() -> None:
    import doctest

    from qca.pseudonymise import keyfile, names, patterns, review, run, streams

    for module in (keyfile, names, patterns, review, run, streams):
        failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failed == 0, module.__name__


@pytest.mark.parametrize(
    ("label", "is_name"),
    [
        ("Anna Berg", True),
        ("Dan", True),
        ("Carter", True),
        ("Mary van Dyke", True),
        ("Interviewer", False),
        ("Particpant", False),
        ("Nurse", False),
        ("Nurse 2", False),
        ("Speaker 1", False),
        ("Coach A", False),
        ("P3", False),
        ("IV", False),
        ("After Tutorial", False),
    ],
)
def test_pseudonymise_which_labels_are_names(label: str, is_name: bool) -> None:
    from qca.pseudonymise import is_person_label

    assert is_person_label(label, ["interviewer"], {"after", "tutorial"}) is is_name


def test_pseudonymise_model_entities(runner: CliRunner, tmp_path: Path) -> None:
    """--model: a pipeline from a folder (here an entity ruler named ner; nothing downloaded)."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [{"label": "GPE", "pattern": "Leeds"}, {"label": "ORG", "pattern": "Acme Trust"}]
    )
    nlp.to_disk(tmp_path / "pipeline")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("I: Where?\n\nR: In Leeds, at Acme Trust.\n", encoding="utf-8")
    model = str(tmp_path / "pipeline")
    key = str(tmp_path / "k.key")
    result = runner.invoke(
        app,
        ["pseudonymise", str(folder), "--key", key, "-d", str(tmp_path / "out"), "--model", model],
    )
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "out" / "a.txt").read_text(encoding="utf-8")
    assert re.fullmatch(r"I: Where\?\n\nR: In \[PLACE \d+\], at \[ORGANISATION \d+\]\.\n", text), (
        text
    )
    spacy.blank("en").to_disk(tmp_path / "blank")
    result = runner.invoke(
        app,
        [
            "pseudonymise",
            str(folder),
            "--key",
            key,
            "--dry-run",
            "--model",
            str(tmp_path / "blank"),
        ],
    )
    assert (result.exit_code, result.stderr) == (
        1,
        f"--model: spaCy pipeline {str(tmp_path / 'blank')!r} has no ner component; give one that has\n",
    )


def test_pseudonymise_codebook_clash_stops_before_writing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Path("in/a.txt").write_text("I: Who helped?\n\nR: Olle did.\n", encoding="utf-8")
    Path("names.txt").write_text("Olle [motivation]\n", encoding="utf-8")
    codebook = str(ROOT / "codebooks" / "esther.yaml")
    args = ["pseudonymise", "in", "--key", "k.key", "-d", "out", "--names", "names.txt"]
    result = runner.invoke(app, [*args, "--codebook", codebook])
    assert result.exit_code == 1
    assert re.fullmatch(
        rf"{re.escape(codebook)}: --codebook: pseudonym '\[MOTIVATION \d+\]' would be coded "
        r"motivation; give its role another word in --names \(or none\)\n",
        result.stderr,
    ), result.stderr
    assert not Path("out").exists()
    Path("names.txt").write_text("Olle [colleague]\n", encoding="utf-8")
    result = runner.invoke(app, [*args, "--codebook", codebook])
    assert result.exit_code == 0, result.stderr


def test_pseudonymise_survey_ids_are_no_names(tmp_path: Path) -> None:
    """Survey rows' speakers are respondent ids or columns, not labels (FFT's Trust column was)."""
    folder = tmp_path / "in"
    folder.mkdir()
    survey = "id,Trust,comment\nAlder,Trust,Good care from the Trust\nBirch,Trust,Kind staff\n"
    (folder / "fft.csv").write_text(survey, encoding="utf-8")
    result = pseudonymise_files([folder], tmp_path / "out", tmp_path / "k.key")
    assert result.counts == {}
    assert (tmp_path / "out" / "fft.csv").read_text(encoding="utf-8") == survey


def test_pseudonymise_docx_from_another_zip_tool_restores_parts(
    corpus: Path, tmp_path: Path
) -> None:
    """A .docx whose deflate zlib cannot reproduce: parts come back exactly, with a warning."""
    import zipfile
    import zlib

    from qca.pseudonymise.zips import read_parts, write_archive

    members = []
    for part in read_parts((corpus / "g.docx").read_bytes()):
        packer = zlib.compressobj(9, zlib.DEFLATED, -15, 1, zlib.Z_FILTERED)
        raw = packer.compress(part.content) + packer.flush()
        part.info.compress_type = zipfile.ZIP_DEFLATED
        members.append((part.info, raw, part.content))
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "word.docx").write_bytes(write_archive(members))
    key = tmp_path / "k.key"
    pseudonymise_files([odd], tmp_path / "out", key)
    written, problems = reverse_files([tmp_path / "out"], tmp_path / "back", key)
    assert [str(p) for p in problems] == [
        f"{(tmp_path / 'out' / 'word.docx').as_posix()}: its text and parts are restored "
        "exactly, but not its zip bytes (the original was compressed by another program)"
    ]
    back = {
        p.info.filename: p.content
        for p in read_parts((tmp_path / "back" / "word.docx").read_bytes())
    }
    assert back == {info.filename: content for info, _, content in members}


def test_pseudonymise_nothing_to_read_makes_no_key(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["pseudonymise", "missing", "--key", "k.key", "-d", "out"])
    assert (result.exit_code, result.stderr) == (
        1,
        "missing: no such file or folder; check the path\n",
    )
    assert not (tmp_path / "k.key").exists() and not (tmp_path / "out").exists()
