"""Start a child process that takes Ctrl-C as a terminal would deliver it.

A shell without job control starts background commands with SIGINT ignored, and
children inherit that; Python then installs no KeyboardInterrupt handler, so a
test that sends SIGINT to ``qca code`` would see it run to the end (exit 0).
"""

from __future__ import annotations

import signal


def sigint_default() -> None:
    """Give SIGINT its default action in the child (use as ``preexec_fn``)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
