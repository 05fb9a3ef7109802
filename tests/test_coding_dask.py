"""`qca code --scheduler`: a Dask cluster codes the corpus with the same outputs as `--jobs 1` (#23)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.coding import code
from qca.errors import CodingError
from qca.options import CodeOptions
from qca.run.scheduler import INSTALL_HINT, check_scheduler, scheduler_from
from tests.conftest import ROOT
from tests.signals import sigint_default
from tests.test_coding_cases import CODE_CASES, NOT_TRANSCRIPTS

distributed = pytest.importorskip("distributed")

OUTPUTS = ("hits.csv", "codings.csv", "segments.parquet", "hits.parquet", "codings.parquet")
DEMO = [
    str(ROOT / "transcripts"),
    "--participants",
    str(ROOT / "transcripts" / "participants.csv"),
    "-c",
    str(ROOT / "codebooks" / "esther.yaml"),
]
CODEBOOK = """\
name: Tiny
language: en
themes:
  will:
    label: Will
    codes:
      motivation:
        terms: [motivate, idea]
"""


def _code(runner: CliRunner, out: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["code", *args, "-d", str(out), "--no-cache"])
    return result.exit_code, result.stderr


def _same_outputs(one: Path, other: Path) -> None:
    for name in OUTPUTS:
        assert (one / name).read_bytes() == (other / name).read_bytes(), name
    first, second = (json.loads((p / "run.json").read_text(encoding="utf-8")) for p in (one, other))
    assert first["counts"] == second["counts"]
    assert first["inputs"] == second["inputs"]
    assert first["problems"] == second["problems"]


def test_dask_local_cluster_demo_same_as_one_job(runner: CliRunner, tmp_path: Path) -> None:
    assert _code(runner, tmp_path / "one", *DEMO)[0] == 0
    assert _code(runner, tmp_path / "dask", *DEMO, "--scheduler", "local:2")[0] == 0
    _same_outputs(tmp_path / "one", tmp_path / "dask")
    run = json.loads((tmp_path / "dask" / "run.json").read_text(encoding="utf-8"))
    assert run["options"]["scheduler"] == "local:2"
    assert run["counts"]["hits"] > 0


@pytest.mark.parametrize("case", CODE_CASES, ids=[p.name for p in CODE_CASES])
def test_dask_golden_case(case: Path, runner: CliRunner, tmp_path: Path, scheduler: str) -> None:
    transcripts = sorted(str(p) for p in case.iterdir() if p.name not in NOT_TRANSCRIPTS)
    args_file = case / "args.txt"
    extra = shlex.split(args_file.read_text(encoding="utf-8")) if args_file.is_file() else []
    args = [*transcripts, "-c", str(case / "codebook.yaml"), *extra]
    assert _code(runner, tmp_path / "dask", *args, "--scheduler", scheduler)[0] == 0
    expected = (case / "expected_hits.csv").read_text(encoding="utf-8")
    assert (tmp_path / "dask" / "hits.csv").read_text(encoding="utf-8") == expected
    assert _code(runner, tmp_path / "one", *args)[0] == 0
    _same_outputs(tmp_path / "one", tmp_path / "dask")


def _corpus(folder: Path) -> list[str]:
    folder.mkdir()
    for n in range(40):
        text = (
            f"P{n}: I was motivated by an idea {n}.\n\nInterviewer: And?\n\nP{n}: Another idea.\n"
        )
        (folder / f"f{n:02d}.txt").write_text(text, encoding="utf-8")
    (folder / "f20.docx").write_bytes(b"not a zip file")  # fails to read, in a worker
    (folder.parent / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    return [str(folder), "-c", str(folder.parent / "cb.yaml")]


def test_dask_unreadable_file_same_problem(
    runner: CliRunner, tmp_path: Path, scheduler: str
) -> None:
    args = _corpus(tmp_path / "tr")
    one = _code(runner, tmp_path / "one", *args)
    dask = _code(runner, tmp_path / "dask", *args, "--scheduler", scheduler)
    assert one[0] == dask[0] == 1  # a file was skipped
    problem = [line for line in one[1].splitlines() if "f20.docx" in line]
    assert len(problem) == 1
    assert problem == [line for line in dask[1].splitlines() if "f20.docx" in line]
    _same_outputs(tmp_path / "one", tmp_path / "dask")
    run = json.loads((tmp_path / "dask" / "run.json").read_text(encoding="utf-8"))
    assert run["counts"]["hits"] == 120  # the other 40 files were coded


def test_dask_interrupt_leaves_previous_outputs(tmp_path: Path, scheduler: str) -> None:
    args = _corpus(tmp_path / "tr")
    options = CodeOptions(scheduler=scheduler, cache=False)
    out = tmp_path / "out"
    code([args[0]], args[2], outdir=out, options=options)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupt(state: object) -> None:
        raise KeyboardInterrupt

    (tmp_path / "tr" / "f00.txt").write_text("Anna: an idea\n\nBo: another idea\n", "utf-8")
    with pytest.raises(KeyboardInterrupt):
        code([args[0]], args[2], outdir=out, options=options, progress=interrupt)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cb.yaml", "out", "tr"]
    with distributed.Client(scheduler, set_as_default=False) as client:
        assert client.processing() == {w: () for w in client.processing()}  # nothing left


def test_dask_not_installed(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert _code(runner, tmp_path / "out", *DEMO, "--scheduler", "local:2") == (
        1,
        INSTALL_HINT + "\n",
    )
    assert not (tmp_path / "out").exists()


def test_dask_bad_address(runner: CliRunner, tmp_path: Path) -> None:
    assert _code(runner, tmp_path / "out", *DEMO, "--scheduler", "local:0") == (
        1,
        "--scheduler local:0: a local cluster needs 1 worker or more\n",
    )


def test_dask_unreachable_scheduler(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("qca.run.cluster.CONNECT_TIMEOUT", "1s")
    code_, err = _code(runner, tmp_path / "out", *DEMO, "--scheduler", "tcp://127.0.0.1:9")
    assert code_ == 1
    assert err.startswith("--scheduler tcp://127.0.0.1:9: cannot reach the Dask scheduler (")
    assert err.endswith("start one with `dask scheduler` and workers with `dask worker ADDRESS`\n")
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_scheduler_from_option_env_then_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QCA_SCHEDULER", raising=False)
    assert scheduler_from(None, None) is None
    assert scheduler_from(None, "tcp://h:1") == "tcp://h:1"
    monkeypatch.setenv("QCA_SCHEDULER", " local:3 ")
    assert scheduler_from(None, "tcp://h:1") == "local:3"
    assert scheduler_from("local:1", "tcp://h:1") == "local:1"
    monkeypatch.setenv("QCA_SCHEDULER", "nope")
    with pytest.raises(CodingError) as info:
        scheduler_from(None, None)
    assert info.value.lines() == [
        "--scheduler 'nope': not a scheduler address; "
        "give local:N (N workers here) or tcp://HOST:PORT (a running dask scheduler)"
    ]


def test_scheduler_from_qca_yaml(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QCA_SCHEDULER", raising=False)
    monkeypatch.chdir(tmp_path)
    args = _corpus(tmp_path / "tr")
    (tmp_path / "qca.yaml").write_text("scheduler: local:0\n", encoding="utf-8")
    assert _code(runner, tmp_path / "out", *args) == (
        1,
        "--scheduler local:0: a local cluster needs 1 worker or more\n",
    )


def test_dask_docs_console_examples_run(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler: str
) -> None:
    """Each ``$ qca code`` of docs/scale-out.md runs (tcp://scheduler-host: the test cluster)."""
    text = (ROOT / "docs" / "scale-out.md").read_text(encoding="utf-8")
    commands = re.findall(r"^\$ qca (.*)$", text, flags=re.M)
    assert len(commands) == 2
    for name in ("transcripts", "codebooks"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    for number, command in enumerate(commands):
        args = shlex.split(command.replace("tcp://scheduler-host:8786", scheduler))
        result = runner.invoke(app, [*args, "-d", f"out{number}", "--no-cache"])
        assert result.exit_code == 0, result.stderr
    serial = shlex.split(commands[0].replace(" --scheduler local:2", ""))
    assert runner.invoke(app, [*serial, "-d", "one", "--no-cache"]).exit_code == 0
    _same_outputs(tmp_path / "one", tmp_path / "out0")
    _same_outputs(tmp_path / "one", tmp_path / "out1")


@given(st.text(max_size=40))
def test_check_scheduler_any_text(text: str) -> None:
    try:
        address = check_scheduler(text)
    except CodingError as exc:
        assert len(exc.lines()) == 1
        assert exc.lines()[0].startswith("--scheduler ")
    else:
        assert address == text.strip()
        assert address.startswith("local:") or "://" in address


def test_dask_generated_corpus_worker_killed_mid_run(
    runner: CliRunner, tmp_path: Path, scheduler: str
) -> None:
    """2,000 generated files; one worker is killed after the first run comes back."""
    from benchmarks.gen import generate

    generate(tmp_path / "gen", "A", 60_000, files=2000)
    transcripts, codebook = tmp_path / "gen" / "transcripts", tmp_path / "gen" / "codebook.yaml"
    assert _code(runner, tmp_path / "one", str(transcripts), "-c", str(codebook))[0] == 0
    with distributed.Client(scheduler, set_as_default=False) as client:
        pids = client.run(os.getpid)
    assert len(pids) == 2
    killed: list[int] = []

    def kill_one(state: object) -> None:
        if not killed:
            killed.append(next(iter(pids.values())))
            os.kill(killed[0], signal.SIGKILL)

    options = CodeOptions(scheduler=scheduler, cache=False)
    code([transcripts], codebook, outdir=tmp_path / "dask", options=options, progress=kill_one)
    assert killed
    with distributed.Client(scheduler, set_as_default=False) as client:
        assert killed[0] not in client.run(os.getpid).values()  # it did die
    _same_outputs(tmp_path / "one", tmp_path / "dask")
    run = json.loads((tmp_path / "dask" / "run.json").read_text(encoding="utf-8"))
    assert len(run["inputs"]) == 2000


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups as on Linux")
def test_dask_ctrl_c_to_the_process_group(tmp_path: Path) -> None:
    """Ctrl-C in a terminal reaches the client and every worker: one line, old outputs kept."""
    import time

    args = _corpus(tmp_path / "tr")
    command = [sys.executable, "-m", "qca", "code", *args, "-d", "out", "--no-cache"]
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode == 1
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    for n in range(40, 1500):  # enough runs that the interrupt comes mid-run
        (tmp_path / "tr" / f"f{n}.txt").write_text(f"P{n}: an idea. " * 60, encoding="utf-8")
    process = subprocess.Popen(
        [*command, "--scheduler", "local:2"],
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=sigint_default,  # noqa: PLW1509 - no threads in this test process
    )
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if list(tmp_path.glob(".out.*/*.arrow")):  # a worker has written a part
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it was interrupted"
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.decode() == "interrupted; earlier outputs are left as they were\n"
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    assert not list(tmp_path.glob(".out.*"))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        alive = subprocess.run(["pgrep", "-a", "-g", str(process.pid)], capture_output=True)
        if not alive.stdout:
            break
        time.sleep(0.2)
    assert alive.stdout.decode() == ""  # no worker left behind
