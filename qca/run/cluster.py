"""``--scheduler``: code runs of files on a Dask cluster, as ``--jobs`` workers do (#23).

The runs are the byte-balanced runs of :mod:`qca.run.pool`, each one Dask task.
A worker plugin gives every worker one copy of the engine (pipelines and
compiled rules), its token store and source cache; a task reads its run of
files, codes it and writes the segments as an Arrow part into the run's staging
folder (so the workers must share the filesystem of the inputs and outputs),
then sends back the hits and counts. The client claims doc_ids in input order
and merges exactly as with ``--jobs``, so the outputs are the same bytes.

Only imported when Dask is installed (see :func:`qca.run.scheduler.require_dask`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distributed import Client, Future, LocalCluster, WorkerPlugin, get_worker

from qca.errors import CodingError
from qca.run.scheduler import local_workers

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from qca.engine.hits import Engine
    from qca.ingest import Sources
    from qca.options import CodeOptions

#: The name the plugin is registered under on every worker.
PLUGIN = "qca-coder"

#: How long to try to reach a running scheduler.
CONNECT_TIMEOUT = "10s"


class CoderPlugin(WorkerPlugin):
    """One loaded engine per worker, set up once, before the worker's first task."""

    def __init__(
        self,
        engine: Engine,
        options: CodeOptions,
        sources: Sources,
        cache_dir: Path | None,
        temp: Path | None,
        language: str,
    ) -> None:
        self.args = (engine, options, sources, cache_dir, temp, language)
        self.state: dict[str, Any] = {}
        self.lock: threading.Lock | None = None

    def setup(self, worker: Any) -> None:
        from qca.run.pool import worker_state

        self.lock = threading.Lock()  # a worker with several threads codes one run at a time
        self.state = worker_state(*self.args)


def _in_worker(function: Callable[..., Any], *args: Any) -> Any:
    """Run *function* (a :mod:`qca.run.pool` worker function) with this worker's engine."""
    from qca.run.pool import use_worker_state

    plugin = get_worker().plugins[PLUGIN]
    assert isinstance(plugin, CoderPlugin)
    assert plugin.lock is not None
    with plugin.lock:
        use_worker_state(plugin.state)
        return function(*args)


def dashboard_link(client: Any) -> str | None:
    """Return the link to the Dask dashboard of *client*'s scheduler, None when it has none.

    A scheduler serves the dashboard only where bokeh is installed; without it, its
    dashboard port serves one page saying to install bokeh (no link is given then).
    """
    try:
        link = client.dashboard_link
    except (KeyError, AttributeError):  # no dashboard service at all
        return None
    if not link:
        return None
    versions = client.get_versions(packages=["bokeh"])
    if versions["scheduler"]["packages"].get("bokeh") is None:
        return None
    return str(link)


class ClusterPool:
    """The part of ``concurrent.futures.Executor`` that :func:`qca.run.pool.coded_runs` uses."""

    def __init__(self, client: Client, cluster: LocalCluster | None) -> None:
        self.client = client
        self.cluster = cluster
        self.futures: list[Future[Any]] = []
        #: The link to the scheduler's dashboard; None without one (no bokeh there).
        self.dashboard = dashboard_link(client)

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[Any]:
        future = self.client.submit(_in_worker, function, *args, pure=False)
        self.futures.append(future)
        return future

    def threads(self) -> int:
        """Return the threads of every worker together (at least 1)."""
        return max(1, int(sum(self.client.nthreads().values())))

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Cancel what is left when *cancel_futures*, then close the client (and local cluster)."""
        try:
            if cancel_futures:
                self.client.cancel([f for f in self.futures if not f.done()])
        finally:
            self.futures.clear()
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


@contextlib.contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes with Ctrl-C ignored (inherited): this process stops them.

    A terminal sends Ctrl-C to every process of the group; the workers would
    each print a traceback. Only from the main thread (signals cannot be set elsewhere).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def start_cluster(
    address: str,
    engine: Engine,
    options: CodeOptions,
    sources: Sources,
    cache_dir: Path | None,
    temp: Path | None,
    language: str,
) -> tuple[ClusterPool, CodeOptions]:
    """Connect to (or start) the cluster at *address* and give every worker the engine.

    Returns the pool and the options the runs are planned with (``jobs``: the
    cluster's threads, so that each gets about four runs).

    Raises:
        CodingError: When the scheduler cannot be reached.
    """
    workers = local_workers(address)
    cluster = None
    try:
        if workers is not None:
            with _workers_ignore_ctrl_c():
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # any free port: 8787 may be taken
                    silence_logs=logging.CRITICAL,  # no worker log lines on the terminal
                )
            client = Client(cluster, set_as_default=False)
        else:
            client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise CodingError(
            f"--scheduler {address}: cannot reach the Dask scheduler ({exc}); "
            "start one with `dask scheduler` and workers with `dask worker ADDRESS`"
        ) from None
    pool = ClusterPool(client, cluster)
    try:
        # Absolute paths: a remote worker's working folder is not this one.
        plugin = CoderPlugin(
            engine,
            options,
            sources,
            cache_dir.resolve() if cache_dir is not None else None,
            temp.resolve() if temp is not None else None,
            language,
        )
        client.register_plugin(plugin, name=PLUGIN)
        return pool, dataclasses.replace(options, jobs=pool.threads())
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
