"""The files ``qca init`` writes: qca.yaml, a starter codebook and an empty overrides file."""

from __future__ import annotations

STARTER_CODEBOOK_FILE = "codebooks/starter.yaml"

STARTER_CODEBOOK = """\
# A starter codebook: rename the themes and codes, write their definitions, and
# list the words that signal each code. `qca codebook check` validates this file.
#
# Terms match case-insensitively on the word or its lemma ("motivate" also matches
# "motivated"); a trailing * makes the last word a prefix ("improv*"). `not`
# phrases veto hits of the same code they overlap. See docs/codebook.md.
name: My study
version: 1
language: en
unit: turn
exclude_speakers: [Interviewer, Moderator, Facilitator]
themes:
  will:
    label: Creating will
    definition: Motivation and commitment to improve, for and with the people served.
    codes:
      motivation:
        label: Motivation
        definition: The speaker expresses drive, enthusiasm or eagerness to change.
        include: Statements of one's own or others' drive to improve.
        exclude: Obligation without drive.
        examples: ["We really wanted to make it better for Esther."]
        terms: [motivation, motivate, enthusiasm, "make it better"]
        regex: ['\\bfired up\\b']
        not: [motivated reasoning]
  ideas:
    label: Ideas
    definition: Ideas for change and where they come from.
    codes:
      new_ideas:
        label: New ideas
        definition: The speaker proposes or reports an idea for change.
        terms: [idea, suggestion, "try out", improv*]
"""

PROJECT_TEMPLATE = """\
# qca project settings. `qca code` and `qca themes` run in this folder read them,
# so `qca code && qca themes` is the whole loop. Paths are relative to this file;
# an option given on the command line wins over the setting here.
transcripts: [transcripts]
codebook: {codebook}
output: {output}
# A CSV of attributes keyed by doc_id and/or speaker, e.g. transcripts/participants.csv
participants: null
overrides: {overrides}
# Ingest options, as the `qca code` options of the same names.
unit: turn
speaker_pattern: null
text_column: null
id_column: null
encoding: null
"""

OVERRIDES_TEMPLATE = """\
# Manual coding decisions (added and removed codings), recorded by `qca override`.
# Each entry names a segment, a code and a decision; keep this file under version control.
[]
"""
