"""Kill ``qca code`` / ``qca import`` at many points; print what each kill left, as JSON.

Run by tests/test_folders.py as ``python tests/kill_runs.py WORKDIR KIND``. This process
imports qca but runs nothing itself (so it has no threads and forks safely); each run
is a forked child, killed with SIGKILL by this process after a delay spread over a run,
or by itself at a named point (``QCA_FAULT``, see qca.folders). After each kill it
records the folder's state: which reference run its files are (by sha256), whether
run.json's hashes match the files, and which staging folders are left.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from qca.models import RUN_FILE

CODE_POINTS = ("staged", "sealed", "linked", "switch", "switched", "removing")
IMPORT_POINTS = ("staged", "linked", "switch", "switched", "removing")
FALLBACK_POINTS = ("rename:codings.csv", "rename:hits.parquet", "rename:segments.parquet")


def snapshot(folder: Path) -> dict[str, str]:
    """The sha256 of every file of *folder* but run.json (relative path -> hex)."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != RUN_FILE
    }


def consistent(folder: Path) -> bool:
    """Whether run.json records exactly the files present, with their sha256."""
    try:
        manifest = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    recorded = {name: stamp["sha256"] for name, stamp in manifest["outputs"].items()}
    present = snapshot(folder)
    return all(present.get(name) == sha for name, sha in recorded.items())


def state_of(folder: Path, references: dict[str, dict[str, str]]) -> str:
    """Which reference run *folder* holds ("a", "b"), else "mixed"."""
    files = snapshot(folder)
    files.pop("notes.txt", None)
    return next((v for v, ref in references.items() if ref == files), "mixed")


def fork_run(run: Callable[[], None], fault: str = "", exchange: bool = True) -> int:
    """Fork a child that runs *run* (dying at *fault*); return its pid."""
    pid = os.fork()
    if pid == 0:  # the child: run, then leave without any cleanup of the parent's
        code = 0
        try:
            if fault:
                os.environ["QCA_FAULT"] = fault
            if not exchange:
                import qca.folders

                qca.folders._exchange = lambda first, second: False  # type: ignore[assignment]
            run()
        except BaseException:  # noqa: BLE001 - report through the exit code
            code = 3
        os._exit(code)
    return pid


def wait(pid: int, kill_after: float | None = None) -> int:
    """Wait for *pid* (killing it after *kill_after* seconds); return its status."""
    if kill_after is not None:
        deadline = time.monotonic() + kill_after
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            time.sleep(0.002)
        os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def main() -> None:
    work, kind = Path(sys.argv[1]), sys.argv[2]
    os.chdir(work)
    out = work / "out"
    # Imported once here, not in every forked run (each would pay 0.2-0.4 s).
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    if kind == "code":
        import spacy  # noqa: F401

        import qca.engine.corpus_rules  # noqa: F401
        import qca.engine.corpus_tokens  # noqa: F401
        import qca.engine.hits  # noqa: F401
        import qca.engine.lexicon  # noqa: F401
        import qca.engine.pipeline  # noqa: F401
        import qca.folders  # noqa: F401
        import qca.ingest.corpus  # noqa: F401
        import qca.rerun  # noqa: F401
        import qca.run.pool  # noqa: F401
        from qca.coding import CodeOptions, code

        # Fills re's cache with spaCy's tokenizer expressions (0.12 s a run otherwise).
        qca.engine.pipeline.load_pipeline("en")

        def runner(version: str, folder: Path) -> Callable[[], None]:
            def run() -> None:
                code(["tr"], f"cb-{version}.yaml", outdir=folder, options=CodeOptions(cache=False))

            return run

        points: tuple[str, ...] = CODE_POINTS
    else:
        import qca.codebook  # noqa: F401
        import qca.export  # noqa: F401
        import qca.folders  # noqa: F401
        from qca.refi import import_qdpx

        def runner(version: str, folder: Path) -> Callable[[], None]:
            def run() -> None:
                import_qdpx(f"p-{version}.qdpx", folder)

            return run

        points = IMPORT_POINTS
    references = {}
    durations = []
    for version in ("a", "b"):
        started = time.monotonic()
        assert wait(fork_run(runner(version, work / f"ref-{version}"))) == 0
        durations.append(time.monotonic() - started)
        references[version] = snapshot(work / f"ref-{version}")
    assert references["a"] != references["b"]
    duration = max(durations)
    assert wait(fork_run(runner("a", out))) == 0
    (out / "notes.txt").write_text("kept across runs\n", encoding="utf-8")
    plan: list[tuple[str, float | None, bool]] = [(p, None, True) for p in points]
    if kind == "code":
        plan += [(p, None, False) for p in FALLBACK_POINTS + ("switch", "removing")]
    timed = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    plan += [("", duration * 1.1 * (n + 1) / timed, True) for n in range(timed)]
    before = "a"
    results = []
    for number, (fault, delay, exchange) in enumerate(plan):
        version = "b" if before == "a" else "a"
        status = wait(fork_run(runner(version, out), fault, exchange), delay)
        state = state_of(out, references)
        results.append(
            {
                "kill": fault or f"after {delay:.3f} s",
                "exchange": exchange,
                "killed": os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
                "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                "before": before,
                "run": version,
                "state": state,
                "consistent": consistent(out),
                "manifest": (out / RUN_FILE).is_file(),
                "notes": (out / "notes.txt").is_file(),
                "staging": sorted(p.name for p in work.glob(".out.*.tmp")),
                "number": number,
            }
        )
        if state in references:
            before = state
    # One more run removes what the kills left.
    last = "b" if before == "a" else "a"
    assert wait(fork_run(runner(last, out))) == 0
    print(
        json.dumps(
            {
                "results": results,
                "final_staging": sorted(p.name for p in work.glob(".out.*.tmp")),
                "final_state": state_of(out, references),
                "final_run": last,
                "duration": duration,
            }
        )
    )


if __name__ == "__main__":
    main()
