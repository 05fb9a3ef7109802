"""Manual coding decisions that survive every re-run: ``overrides.yaml`` (issue #6).

The file is a YAML list of decisions, each naming a segment, a code and an action
(``add``, ``remove`` or ``accept``), who decided and when, and the segment's text
hash and character offsets at the time: no transcript text, since the file is kept
under version control (issue #21; files with an older ``excerpt`` key still read). ``qca code`` applies them on top of the rule
hits (:func:`apply_overrides`); ``qca override`` and ``qca review`` append to it.

Segment ids are positional (``doc:t0042``), so a decision is re-anchored by its
text hash when a turn was inserted or removed before it (status ``moved``). A
decision whose segment text changed, whose segment is gone or whose code left the
codebook is *stale*: it is not applied and it is reported, never dropped.

Writes are atomic (temporary file, fsync, rename) under a lock, and keep the
comments and layout of a hand-edited file.
"""

from __future__ import annotations

from qca.overrides.apply import (
    apply_overrides,
    apply_overrides_file,
    override_stats,
    overrides_table,
)
from qca.overrides.decisions import (
    Decision,
    Overrides,
    default_coder,
    default_overrides_path,
    excerpt,
    new_decision,
    now,
)
from qca.overrides.resolve import (
    Resolution,
    check_overrides,
    describe,
    effective_decisions,
    find_segment,
    resolve_overrides,
)
from qca.overrides.yamlfile import add_decisions, read_overrides

__all__ = [
    "Decision",
    "Overrides",
    "Resolution",
    "add_decisions",
    "apply_overrides",
    "apply_overrides_file",
    "check_overrides",
    "default_coder",
    "default_overrides_path",
    "describe",
    "effective_decisions",
    "excerpt",
    "find_segment",
    "new_decision",
    "now",
    "override_stats",
    "overrides_table",
    "read_overrides",
    "resolve_overrides",
]
