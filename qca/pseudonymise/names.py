"""Where names come from: speaker labels, the participants sheet, a names file, a spaCy pipeline.

A speaker label counts as a name when it looks like one: capitalised words, no digit,
not a role word (Interviewer, Participant, Speaker 1, Nurse 2, P3, I, R, ...). A
multi-word name also stands for each of its words (``Anna Berg`` for ``Anna`` and
``Berg``), unless two people share the word. A name is found in the text as written
and in capitals (``Anna``, ``ANNA``); ``Anna's`` keeps its ``'s``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qca.errors import Problem
from qca.ingest.labels import NOT_SPEAKERS, ROLE_WORDS, name_shape
from qca.ingest.speaker_table import edit_distance
from qca.ingest.speakers import role_key
from qca.pseudonymise.keyfile import PseudonymiseError

#: Titles kept with a name but never a name on their own (lower case).
TITLES = frozenset(
    {"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir", "dame", "lady", "lord"}
)
#: Role nouns used as speaker labels (``Nurse:``, ``GP 2:``), never names (lower case).
ROLE_NOUNS = frozenset(
    {
        "nurse",
        "doctor",
        "patient",
        "carer",
        "caregiver",
        "coach",
        "manager",
        "student",
        "teacher",
        "mother",
        "father",
        "parent",
        "daughter",
        "son",
        "husband",
        "wife",
        "partner",
        "relative",
        "gp",
        "consultant",
        "clinician",
        "therapist",
        "physio",
        "pharmacist",
        "midwife",
        "researcher",
        "observer",
        "chair",
        "host",
        "guest",
        "audience",
        "all",
        "everyone",
        "group",
        "others",
        "unknown",
        "unidentified",
        "inaudible",
        "crosstalk",
        "male",
        "female",
        "man",
        "woman",
        "voice",
        "caller",
        "staff",
        "member",
        "client",
        "user",
        "senior",
        "citizen",
        "faculty",
    }
)
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "la", "le", "du", "af", "av"})
#: Kinds a names-file line may give in brackets besides a role.
_KINDS = {"place": "place", "organisation": "organisation", "organization": "organisation"}
_NER = {"PERSON": "person", "PER": "person", "ORG": "organisation", "GPE": "place", "LOC": "place"}


@dataclass(frozen=True)
class Name:
    """A person (or place, organisation) and the forms it is written in.

    ``label`` is ``P`` for a speaker (pseudonym ``P07``), else the bracketed label
    (``PERSON``, ``COLLEAGUE``, ``PLACE``).
    """

    original: str
    kind: str = "person"
    label: str = "PERSON"
    variants: tuple[str, ...] = ()
    source: str = "names"


#: A word (not part of an e-mail address, a path or a web address).
WORD = re.compile(r"(?<![\w'’.@/-])[^\W\d_][\w'’-]*(?![\w'’-]|[.@/]\w)")


def lowercase_words(texts: Iterable[str]) -> set[str]:
    """Return the words written in lower case somewhere in *texts*.

    Examples:
        >>> sorted(lowercase_words(["After the Tutorial, in PDPilot"]))
        ['in', 'the']
    """
    found: set[str] = set()
    for text in texts:
        found.update(w.group() for w in WORD.finditer(text) if w.group().islower())
    return found


def is_person_label(
    label: str, interviewer_labels: Iterable[str], lower: Collection[str] = frozenset()
) -> bool:
    """Return whether a speaker label is a person's name, not a role or a code.

    A label of several words counts only when none of its words (particles aside) is
    written in lower case elsewhere (*lower*): ``After Tutorial:`` is a heading.

    Examples:
        >>> [is_person_label(s, ["interviewer"]) for s in ["Anna Berg", "Interviewer", "P3", "Nurse 2"]]
        [True, False, False, False]
    """
    words = label.split()
    if not words or any(c.isdigit() for c in label) or not name_shape(label):
        return False
    asked = ROLE_WORDS | {w.lower() for w in interviewer_labels}
    roles = asked | NOT_SPEAKERS | ROLE_NOUNS
    if role_key(label) in roles or words[0].lower() in roles:
        return False
    if len(words[-1]) == 1 or (len(words) == 1 and label.isupper() and len(label) <= 3):
        return False
    if any(len(r) >= 8 and edit_distance(label.lower(), r) <= 2 for r in asked):
        return False  # a misspelt role word (Particpant)
    if len(words) > 1 and any(w.lower() in lower and w not in _PARTICLES for w in words):
        return False
    return any(c.isalpha() for c in label)


def speaker_names(
    labels: Iterable[str], interviewer_labels: Iterable[str], lower: Collection[str] = frozenset()
) -> list[Name]:
    """Return a :class:`Name` (pseudonym ``P..``) for each speaker label that is a name."""
    roles = tuple(interviewer_labels)
    found = sorted({s.strip() for s in labels if is_person_label(s.strip(), roles, lower)})
    return [Name(s, "person", "P", (), "label") for s in found]


def read_names_file(path: Path) -> list[Name]:
    """Read a names file: one person per line, variants after ``;``, a role in brackets.

    ``Anna Berg; Annie; Ms Berg [colleague]`` gives ``[COLLEAGUE n]``; ``[place]`` and
    ``[organisation]`` give ``[PLACE n]`` and ``[ORGANISATION n]``. ``#`` starts a comment.

    Raises:
        PseudonymiseError: When the file is missing or not UTF-8 text.
    """
    name = path.as_posix()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PseudonymiseError(
            problems=[Problem(name, "no such file; check the --names path", where="--names")]
        ) from None
    except UnicodeDecodeError:
        raise PseudonymiseError(
            problems=[Problem(name, "is not UTF-8; save it as UTF-8 text", where="--names")]
        ) from None
    names = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        role = re.search(r"\[([^\]]+)\]\s*$", line)
        if role:
            line = line[: role.start()].strip()
        forms = [f.strip() for f in line.split(";") if f.strip()]
        if not forms:
            continue
        word = role.group(1).strip().lower() if role else "person"
        kind = _KINDS.get(word, "person")
        label = kind.upper() if kind != "person" else word.upper()
        names.append(Name(forms[0], kind, label, tuple(forms[1:]), "names"))
    return names


def column_names(
    path: Path,
    columns: Sequence[str],
    interviewer_labels: Iterable[str],
    lower: Collection[str] = frozenset(),
) -> list[Name]:
    """Return the names in *columns* of the participants sheet (roles and codes left out).

    Raises:
        PseudonymiseError: When a column is missing.
        IngestError: When the sheet cannot be read (as ``--participants``).
    """
    from qca.ingest.participants import read_participants

    table = read_participants(path, frozenset()).table
    missing = [c for c in columns if c not in table.columns]
    if missing:
        shown = ", ".join(str(c) for c in table.columns)
        raise PseudonymiseError(
            problems=[
                Problem(
                    path.as_posix(),
                    f"no column {missing[0]!r}; the columns are: {shown}; fix --name-columns",
                    where="--name-columns",
                )
            ]
        )
    values = [str(v) for c in columns for v in table[c].dropna() if str(v).strip()]
    return [
        Name(n.original, n.kind, n.label, (), "participants")
        for n in speaker_names(values, interviewer_labels, lower)
    ]


def model_names(texts: Iterable[str], model: str) -> list[Name]:
    """Return the PERSON, ORG, GPE and LOC entities a spaCy pipeline finds in *texts*.

    Raises:
        PseudonymiseError: When *model* is not an installed pipeline or a folder, or has no NER.
    """
    import spacy

    try:
        nlp = spacy.load(model)
    except (OSError, ValueError):
        raise PseudonymiseError(
            problems=[
                Problem(
                    "",
                    f"cannot load spaCy pipeline {model!r}; give an installed pipeline "
                    "package or its folder (qca downloads no models)",
                    where="--model",
                )
            ]
        ) from None
    if "ner" not in nlp.pipe_names:
        raise PseudonymiseError(
            problems=[
                Problem(
                    "",
                    f"spaCy pipeline {model!r} has no ner component; give one that has",
                    where="--model",
                )
            ]
        )
    found: dict[str, str] = {}
    for doc in nlp.pipe(texts):
        for entity in doc.ents:
            kind = _NER.get(entity.label_)
            value = entity.text.strip()
            if kind and value[:1].isupper() and name_shape(value) and len(value) > 1:
                found.setdefault(value, kind)
    return [
        Name(v, k, "PERSON" if k == "person" else k.upper(), (), "model")
        for v, k in sorted(found.items())
    ]


def merge_names(names: Iterable[Name]) -> list[Name]:
    """Merge names written alike (case aside); a speaker's ``P`` label wins."""
    merged: dict[str, Name] = {}
    for name in names:
        key = name.original.casefold()
        old = merged.get(key)
        if old is None:
            merged[key] = name
            continue
        variants = tuple(dict.fromkeys(old.variants + name.variants))
        label = "P" if "P" in (old.label, name.label) else old.label
        merged[key] = Name(old.original, old.kind, label, variants, old.source)
    return sorted(merged.values(), key=lambda n: n.original.casefold())


def _parts(original: str, lower: Collection[str]) -> list[str]:
    words = original.split()
    if len(words) < 2:
        return []
    skip = TITLES | _PARTICLES
    return [
        w
        for w in words
        if len(w) > 1 and w.lower() not in skip and w[0].isupper() and w.lower() not in lower
    ]


def name_forms(
    names: Sequence[Name], lower: Collection[str] = frozenset()
) -> tuple[dict[str, Name], list[str]]:
    """Map each written form to its :class:`Name`; also return the words two people share.

    A word of a name stands for the name alone unless two people share it or it is
    written in lower case somewhere (*lower*: ``Will Smith`` gives ``Smith``, not ``Will``).

    Examples:
        >>> forms, shared = name_forms([Name("Anna Berg"), Name("Anna Lind")])
        >>> sorted(forms), shared
        (['ANNA BERG', 'ANNA LIND', 'Anna Berg', 'Anna Lind', 'BERG', 'Berg', 'LIND', 'Lind'], ['Anna'])
    """
    forms: dict[str, Name] = {}
    for name in names:
        for form in (name.original, *name.variants):
            for written in (form, form.upper()):
                forms.setdefault(written, name)
    owners: dict[str, set[str]] = {}
    for name in names:
        for part in _parts(name.original, lower):
            owners.setdefault(part, set()).add(name.original)
    shared = sorted(p for p, who in owners.items() if len(who) > 1)
    for name in names:
        for part in _parts(name.original, lower):
            if part not in shared:
                for written in (part, part.upper()):
                    forms.setdefault(written, name)
    return forms, shared


def names_pattern(forms: Iterable[str]) -> re.Pattern[str] | None:
    """Compile one pattern for every form, longest first, on word edges."""
    ordered = sorted(set(forms), key=lambda f: (-len(f), f))
    if not ordered:
        return None
    alternatives = "|".join(re.escape(f) for f in ordered)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?!\w|-\w)")
