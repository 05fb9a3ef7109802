"""The key file: a secret, the pseudonym of every original, and how to reverse each output.

The key file is JSON written with mode 0600 (read and write for its owner only). It
holds the originals, so it must stay on the machine where the transcripts are; it is
never written into the output folder. A pseudonym is drawn from a keyed HMAC (SHA-256)
of the original: the same key gives the same pseudonyms in every file and run, a
different key gives different ones, and a pseudonym tells nothing about the name
without the key. Once given, a pseudonym is kept in the key file, so adding files
later never renumbers anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qca.errors import Problem, QcaError

KEY_FORMAT = 1
#: The label of each kind's pseudonyms (speakers are ``P07``; others ``[EMAIL 3]``).
LABELS: dict[str, str] = {
    "person": "PERSON",
    "place": "PLACE",
    "organisation": "ORGANISATION",
    "email": "EMAIL",
    "phone": "PHONE",
    "nhs_number": "NHS NUMBER",
    "date_of_birth": "DATE OF BIRTH",
    "postcode": "POSTCODE",
}


class PseudonymiseError(QcaError):
    """Pseudonymisation (or its reversal) cannot go on."""


@dataclass
class Key:
    """The contents of a key file. ``entries`` maps ``kind:label:original`` to a pseudonym."""

    secret: bytes
    entries: dict[str, str] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def pseudonym(self, kind: str, label: str, original: str) -> str:
        """Return the pseudonym of *original* (given once, then kept)."""
        ident = f"{kind}:{label}:{original}"
        known = self.entries.get(ident)
        if known is not None:
            return known
        taken = {v for k, v in self.entries.items() if k.split(":", 2)[1] == label}
        count = len(taken)
        space = 99 if count < 50 else 999 if count < 500 else 99999
        digest = hmac.new(self.secret, ident.encode("utf-8"), hashlib.sha256).digest()
        number = int.from_bytes(digest[:8], "big") % space + 1
        width = len(str(space))
        while (made := _shown(label, number, width)) in taken:
            number = number % space + 1
        self.entries[ident] = made
        return made

    def originals(self) -> dict[str, str]:
        """Map each pseudonym to its original."""
        return {v: k.split(":", 2)[2] for k, v in self.entries.items()}


def _shown(label: str, number: int, width: int) -> str:
    if label == "P":
        return f"P{number:0{width}d}"
    return f"[{label} {number}]"


def new_key() -> Key:
    """Return a key with a fresh random secret (256 bits)."""
    return Key(secrets.token_bytes(32))


def _fail(path: Path, message: str) -> PseudonymiseError:
    return PseudonymiseError(problems=[Problem(path.as_posix(), message, where="--key")])


def read_key(path: Path, *, create: bool) -> tuple[Key, list[Problem]]:
    """Read the key file at *path*; a missing one is a new key when *create*.

    Returns:
        The key, and a warning when others may read the file.

    Raises:
        PseudonymiseError: When the file is missing (and not *create*) or not a key file.
    """
    if not path.exists():
        if create:
            return new_key(), []
        raise _fail(path, "no such key file; give the --key used to pseudonymise these files")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != KEY_FORMAT:
            raise ValueError
        key = Key(bytes.fromhex(data["secret"]), dict(data["pseudonyms"]), dict(data["files"]))
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise _fail(path, "is not a qca key file; give the file qca pseudonymise wrote") from None
    problems = []
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        problems.append(
            Problem(
                path.as_posix(),
                "others can read the key file; run: chmod 600 " + path.as_posix(),
                where="--key",
                severity="warning",
            )
        )
    return key, problems


def write_key(path: Path, key: Key) -> None:
    """Write *key* to *path* atomically with mode 0600."""
    data = {
        "format": KEY_FORMAT,
        "note": "qca pseudonymise key: it holds the original names; keep it private and local",
        "secret": key.secret.hex(),
        "pseudonyms": dict(sorted(key.entries.items())),
        "files": dict(sorted(key.files.items())),
    }
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    try:
        _write_private(path, text)
    except OSError as exc:
        raise _fail(path, f"cannot write the key file ({exc.strerror}); check the folder") from None


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
