"""``--scheduler``: which Dask cluster codes the corpus (#23); no Dask import here.

``local:N`` starts a ``LocalCluster`` of N worker processes on this machine;
``tcp://HOST:PORT`` (or ``tls://``, ``ws://``...) joins a running ``dask scheduler``.
Dask is an optional extra: without it, the run stops with one line saying how
to install it, before anything is read or written.
"""

from __future__ import annotations

import importlib.util
import os
import re

from qca.errors import CodingError

#: The environment variable read when ``--scheduler`` is not given.
SCHEDULER_ENV = "QCA_SCHEDULER"

_LOCAL = re.compile(r"local:(\d+)")
_URL = re.compile(r"[a-z][a-z0-9+]*://\S+")

INSTALL_HINT = "--scheduler needs Dask, which is not installed: pip install 'qca[dask]'"


def check_scheduler(address: str) -> str:
    """Return *address* stripped, or raise :class:`CodingError` saying what a valid one is.

    Examples:
        >>> check_scheduler("local:2")
        'local:2'
        >>> check_scheduler("tcp://10.0.0.5:8786")
        'tcp://10.0.0.5:8786'
    """
    address = address.strip()
    local = _LOCAL.fullmatch(address)
    if local is not None:
        if int(local.group(1)) < 1:
            raise CodingError(f"--scheduler {address}: a local cluster needs 1 worker or more")
        return address
    if _URL.fullmatch(address) is None:
        raise CodingError(
            f"--scheduler {address!r}: not a scheduler address; "
            "give local:N (N workers here) or tcp://HOST:PORT (a running dask scheduler)"
        )
    return address


def local_workers(address: str) -> int | None:
    """Return N for ``local:N``, None for the address of a running scheduler."""
    local = _LOCAL.fullmatch(address)
    return int(local.group(1)) if local is not None else None


def scheduler_from(option: str | None, setting: str | None) -> str | None:
    """Return the scheduler: the option, else ``$QCA_SCHEDULER``, else qca.yaml's (None: none)."""
    for value in (option, os.environ.get(SCHEDULER_ENV), setting):
        if value is not None and value.strip():
            return check_scheduler(value)
    return None


def require_dask() -> None:
    """Raise :class:`CodingError` with how to install Dask when ``distributed`` is missing."""
    if importlib.util.find_spec("distributed") is None:
        raise CodingError(INSTALL_HINT)
