"""Which speaker labels are interviewers, and whose turns the ``document`` unit leaves out.

``--interviewer-label`` names the interviewer roles, compared by
:func:`~qca.ingest.speakers.role_key` (``Interviewer 1`` is ``interviewer``);
``--exclude-speaker`` names speakers whose turns the ``document`` unit does not code.
:class:`~qca.ingest.frames.Builder` asks :class:`Roles` about every segment, with a cache
of one document's labels (a ``Name (I):`` label makes Name an interviewer there).
"""

from __future__ import annotations

from qca.ingest.base import IngestOptions
from qca.ingest.speakers import role_key


class Roles:
    """The interviewer roles and excluded speakers of one :class:`IngestOptions`."""

    def __init__(self, options: IngestOptions) -> None:
        self.include_interviewer = options.include_interviewer
        self.interviewers = frozenset(role_key(label) for label in options.interviewer_labels)
        self.excluded = frozenset(s.strip().lower() for s in options.exclude_speakers)

    def is_interviewer(self, speaker: str | None, cache: dict[str, bool]) -> bool:
        """Whether *speaker* is an interviewer; *cache* holds the labels already asked."""
        if speaker is None:
            return False
        known = cache.get(speaker)
        if known is None:
            known = cache[speaker] = role_key(speaker) in self.interviewers
        return known

    def leaves_out(self, speaker: str | None, cache: dict[str, bool]) -> bool:
        """Whether a turn of *speaker* is left out of the document unit's coded text."""
        if speaker is None or self.include_interviewer:
            return False
        return self.is_interviewer(speaker, cache) or speaker.strip().lower() in self.excluded

    def interviewer_flags(self, speakers: list[str]) -> list[bool]:
        """Return ``is_interviewer`` for each (non-null) speaker label."""
        interviewers = self.interviewers
        if "" in interviewers:
            return [role_key(s) in interviewers for s in speakers]
        # role_key() lower-cases the stripped label, so its first letter must start a role.
        firsts = {key[0] for key in interviewers}
        return [
            (s[:1].lower()[:1] in firsts or s[:1].isspace()) and role_key(s) in interviewers
            for s in speakers
        ]
