"""Consistent, reversible pseudonyms for transcripts, with a key that stays on the machine.

``pseudonymise_files`` writes pseudonymised copies (same formats) and a key file;
``reverse_files`` gives back the original bytes from the copies and the key.
"""

from __future__ import annotations

from qca.pseudonymise.keyfile import Key, PseudonymiseError, read_key
from qca.pseudonymise.names import Name, is_person_label
from qca.pseudonymise.patterns import Finding, find_identifiers, nhs_number_valid
from qca.pseudonymise.reverse import reverse_files
from qca.pseudonymise.run import PseudonymiseOptions, PseudonymiseResult, pseudonymise_files

__all__ = [
    "Finding",
    "Key",
    "Name",
    "PseudonymiseError",
    "PseudonymiseOptions",
    "PseudonymiseResult",
    "find_identifiers",
    "is_person_label",
    "nhs_number_valid",
    "pseudonymise_files",
    "read_key",
    "reverse_files",
]
