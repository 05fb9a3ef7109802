"""Run every ```python block of the docs, so the examples cannot rot."""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from tests.conftest import CORPORA, ROOT

PAGES = ["README.md", "docs/python-api.md", "docs/pseudonymise.md"]


def _blocks(page: str) -> list[str]:
    text = (ROOT / page).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("page", PAGES)
def test_docs_python_examples_run(
    page: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocks = _blocks(page)
    assert blocks, f"{page} has no python examples"
    # Run in a scratch folder that sees the repository's demo corpus and codebooks,
    # so nothing (e.g. a token cache) is written into the checkout.
    for name in ("transcripts", "codebooks"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, page, "exec"), {})


def _console_examples(page: str) -> list[tuple[str, str]]:
    """Return (command, expected stdout) for every ``$ qca`` line of the ```console blocks."""
    text = (ROOT / page).read_text(encoding="utf-8")
    examples = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output))
    return examples


INGEST_EXAMPLES = _console_examples("docs/ingest.md")


def test_docs_ingest_console_examples_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from qca.cli import app

    commands = [command for command, _ in INGEST_EXAMPLES]
    assert any("--unit document" in c for c in commands)
    assert sum("--speakers" in c for c in commands) >= 2
    # the session of docs/cli.md shows the same check on the whole demo corpus
    session = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    (line,) = [
        line
        for line in session.splitlines()
        if line.startswith("qca ingest") and "--speakers" in line
    ]
    monkeypatch.chdir(ROOT)  # reads transcripts/, writes nothing
    result = CliRunner().invoke(app, shlex.split(line.partition("#")[0])[1:])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "doc_id,speaker,turns,words,is_interviewer,similar_to",
        "fg-coaches,Moderator,11,228,True,",
        "fg-coaches,Anna Lindqvist,8,348,False,",
    ]


def _section(page: str, heading: str) -> str:
    text = (ROOT / page).read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def test_docs_rerun_commands_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, runner: CliRunner
) -> None:
    """The commands of coding.md's "Re-runs" run, and the second prints what the page shows."""
    section = _section("docs/coding.md", "## Re-runs")
    commands = re.findall(r"```sh\n(.*?)```", section, flags=re.S)[0].splitlines()
    shown = re.findall(r"```text\n(.*?)```", section, flags=re.S)[0]
    for name in ("transcripts", "codebooks"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    printed = []
    for command in commands:
        words = shlex.split(command)
        assert words[0] == "qca"
        result = runner.invoke(app, words[1:])
        assert result.exit_code == 0, (command, result.stderr)
        printed.append(result.stderr)
    assert [c.split()[1:3] for c in commands] == [
        ["code", "transcripts/"],
        ["code", "transcripts/"],
        ["code", "transcripts/"],
        ["cache", "info"],
        ["cache", "prune"],
    ]
    assert printed[1] == shown
    assert "up to date" not in printed[2]


# --- docs of #20: cooccur.md, report.md and themes.md's "Group statistics" ----------------

REPORT_PAGES = ["docs/cooccur.md", "docs/report.md"]
REPORT_EXAMPLES = [
    *(example for page in REPORT_PAGES for example in _console_examples(page)),
    *(
        (command, output)
        for block in re.findall(
            r"```console\n(.*?)```", _section("docs/themes.md", "### Group statistics"), flags=re.S
        )
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]
        for command, _, output in [chunk.partition("\n")]
    ),
]


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch folder with the demo corpus coded into qca-out (as `make demo` does)."""
    import os

    folder = tmp_path_factory.mktemp("docs-demo")
    for name in ("transcripts", "codebooks"):
        (folder / name).symlink_to(ROOT / name)
    here = Path.cwd()
    os.chdir(folder)
    try:
        args = ["code", "transcripts", "--participants", "transcripts/participants.csv"]
        result = CliRunner().invoke(app, [*args, "-c", "codebooks/esther.yaml", "-d", "qca-out"])
        assert result.exit_code == 0, result.stderr
    finally:
        os.chdir(here)
    return folder


def test_docs_report_console_examples_exist() -> None:
    commands = [command for command, _ in REPORT_EXAMPLES]
    assert sum(c.startswith("qca cooccur") for c in commands) >= 3
    assert sum(c.startswith("qca report") for c in commands) >= 3
    assert sum("--stats" in c for c in commands) >= 2


@pytest.mark.parametrize("page", REPORT_PAGES)
def test_docs_report_python_examples_run(
    page: str, demo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = _blocks(page)
    assert blocks, f"{page} has no python examples"
    monkeypatch.chdir(demo_folder)
    for block in blocks:
        exec(compile(block, page, "exec"), {})


PSEUDONYMISE_EXAMPLES = _console_examples("docs/pseudonymise.md")


def _pseudonyms_hidden(text: str) -> str:
    """The text with pseudonym numbers hidden (they depend on the key's random secret)."""
    return re.sub(r"\[([A-Z ]+) \d+\]", r"[\1 n]", re.sub(r"\bP\d\d\b", "Pnn", text))


def test_docs_pseudonymise_examples_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, runner: CliRunner
) -> None:
    """docs/pseudonymise.md: the ```sh commands run, then each ``$ qca`` prints what it shows.

    ``qca pseudonymise`` shows stdout and stderr, other commands stdout; pseudonym
    numbers are compared hidden, since the key made in the test has its own secret.
    """
    text = (ROOT / "docs" / "pseudonymise.md").read_text(encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("transcripts", "codebooks"):
        (repo / name).symlink_to(ROOT / name)
    monkeypatch.chdir(repo)
    (sh,) = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    for line in sh.splitlines():
        result = runner.invoke(app, shlex.split(line.partition("#")[0])[1:])
        assert result.exit_code == 0, (line, result.stderr)
    assert [c.split()[1] for c, _ in PSEUDONYMISE_EXAMPLES] == [
        "pseudonymise",
        "pseudonymise",
        "code",
        "themes",
        "pseudonymise",
    ]
    for command, expected in PSEUDONYMISE_EXAMPLES:
        result = runner.invoke(app, shlex.split(command)[1:])
        assert result.exit_code == 0, (command, result.stderr)
        shown = result.stdout + (result.stderr if "pseudonymise" in command else "")
        assert _pseudonyms_hidden(shown) == _pseudonyms_hidden(expected), command
    assert (repo / "restored" / "fg-faculty.docx").read_bytes() == (
        ROOT / "transcripts" / "fg-faculty.docx"
    ).read_bytes()


DIAGNOSTICS_EXAMPLES = [
    (command, output)
    for block in re.findall(
        r"```console\n(.*?)```",
        _section("docs/diagnostics.md", "## A worked example on the demo corpus"),
        flags=re.S,
    )
    for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]
    for command, _, output in [chunk.partition("\n")]
]


def test_docs_diagnostics_workflow_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """docs/diagnostics.md's worked example (code -> stats -> suggest -> edit -> code -> sample
    -> agree --estimate) runs in order on the demo corpus, each command printing what it shows.

    The edit step is made here as the page says: "senior citizen" added to customer_focus.
    """
    import yaml

    assert len(DIAGNOSTICS_EXAMPLES) == 7
    for name in ("transcripts", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "codebooks").mkdir()
    original = ROOT / "codebooks" / "esther.yaml"
    (tmp_path / "codebooks" / "esther.yaml").write_bytes(original.read_bytes())
    spec = yaml.safe_load(original.read_text(encoding="utf-8"))
    spec["themes"]["enablers"]["codes"]["customer_focus"]["terms"].append("senior citizen")
    edited = tmp_path / "codebooks" / "esther-edited.yaml"
    edited.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command, expected in DIAGNOSTICS_EXAMPLES:
        result = runner.invoke(app, shlex.split(command)[1:])
        assert result.exit_code == 0, (command, result.stderr)
        assert result.stdout == expected, command
    stats = (tmp_path / "stats.csv").read_text(encoding="utf-8").splitlines()
    assert "enablers,customer_focus,phrase,senior citizen,6,6,1,0.0556," in stats
    assert len((tmp_path / "sample.csv").read_text(encoding="utf-8").splitlines()) == 11


# --- every shell command of the docs runs ------------------------------------
#
# Every ```sh and ```console block of README.md and docs/*.md runs, command by command, in
# one scratch folder per page that sees the demo corpus (transcripts/, codebooks/, examples/).
# A ```console block shows commands as ``$ qca ...`` lines followed by what they print; where
# it shows output, the test compares it (a last line ``...`` means "and more lines").
# A block that cannot run here says why in an HTML comment on the line before its fence:
#   <!-- docs-test: skip: needs the NHS FFT data set -->
# and a block that runs inside a project (a qca.yaml for the demo corpus) says
#   <!-- docs-test: project -->

SHELL_LANGUAGES = ("sh", "console")
MARKER = re.compile(r"<!-- docs-test: (skip|project)(?:: (.+?))? -->")
DOC_PAGES = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]
DEMO_FOLDERS = ("transcripts", "codebooks", "examples")
DEMO_PROJECT = """\
transcripts: [transcripts]
codebook: codebooks/esther.yaml
participants: transcripts/participants.csv
output: qca-out
"""


@dataclass(frozen=True)
class ShellBlock:
    page: str
    line: int
    language: str
    body: str
    marker: str = ""
    reason: str = ""

    def commands(self) -> list[tuple[str, str]]:
        """(command, output shown) pairs; ``sh`` blocks show no output."""
        if self.language == "console":
            pairs = []
            for chunk in re.split(r"^\$ ", self.body, flags=re.M)[1:]:
                command, _, shown = chunk.partition("\n")
                pairs.append((command, shown))
            return pairs
        joined = re.sub(r"\\\n\s*", " ", self.body)
        return [(line, "") for line in joined.splitlines() if line.strip()]


def shell_blocks(page: str) -> list[ShellBlock]:
    """Every fenced shell block of *page*, with the marker on the line before it."""
    lines = (ROOT / page).read_text(encoding="utf-8").splitlines()
    blocks, number = [], 0
    while number < len(lines):
        fence = re.fullmatch(r"```(\w*)\s*", lines[number])
        if not fence:
            number += 1
            continue
        end = next(i for i in range(number + 1, len(lines)) if lines[i].startswith("```"))
        if fence.group(1) in SHELL_LANGUAGES:
            before = lines[number - 1].strip() if number else ""
            marker = MARKER.fullmatch(before)
            blocks.append(
                ShellBlock(
                    page,
                    number + 1,
                    fence.group(1),
                    "\n".join(lines[number + 1 : end]) + "\n",
                    marker.group(1) if marker else "",
                    (marker.group(2) or "") if marker else "",
                )
            )
        number = end + 1
    return blocks


ALL_BLOCKS = [block for page in DOC_PAGES for block in shell_blocks(page)]
RUN_PAGES = sorted({block.page for block in ALL_BLOCKS if block.marker != "skip"})


@pytest.fixture(scope="module")
def coded_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder of the demo corpus, for pages that read one without coding first."""
    folder = tmp_path_factory.mktemp("demo")
    for name in DEMO_FOLDERS:
        (folder / name).symlink_to(ROOT / name)
    old = Path.cwd()
    os.chdir(folder)
    try:
        words = "code transcripts/ --participants transcripts/participants.csv"
        words += " -c codebooks/esther.yaml -d qca-out"
        result = CliRunner().invoke(app, words.split())
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    return folder / "qca-out"


def _run_line(line: str, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run one shell line (``&&`` chains, ``cd``, ``> FILE``); return what it printed."""
    words = [
        match
        for word in shlex.split(line, comments=True)
        for match in (sorted(glob.glob(word)) if "*" in word else [word])
    ]
    printed = ""
    while words:
        step = words[: words.index("&&")] if "&&" in words else words
        words = words[len(step) + 1 :]
        if step[0] == "cd":
            monkeypatch.chdir(step[1])
            continue
        assert step[0] == "qca", f"not a qca command: {line}"
        target = None
        if ">" in step:
            step, target = step[: step.index(">")], step[step.index(">") + 1]
        result = runner.invoke(app, step[1:], prog_name="qca")
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{line}\n{result.output}"
        )
        assert result.exit_code == 0, f"{line}\nexit {result.exit_code}\n{result.output}"
        if target is not None:
            Path(target).write_text(result.stdout, encoding="utf-8")
        printed = result.stderr if target is not None else result.output
    return printed


def _check_shown(command: str, shown: str, printed: str) -> None:
    expected = shown.rstrip("\n").splitlines()
    if not expected:
        return
    got = printed.rstrip("\n").splitlines()
    if expected[-1] == "...":
        expected = expected[:-1]
        got = got[: len(expected)]
    assert got == expected, f"$ {command}\nprinted:\n{printed}"


@pytest.mark.parametrize("page", RUN_PAGES)
def test_docs_shell_commands_run(
    page: str,
    coded_demo: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    runner: CliRunner,
) -> None:
    """Every command of the page's shell blocks exits 0 and prints what the page shows."""
    blocks = [b for b in ALL_BLOCKS if b.page == page and b.marker != "skip"]
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in DEMO_FOLDERS:
        (repo / name).symlink_to(ROOT / name)
    (tmp_path / "shared").symlink_to(ROOT.parent / "shared")
    commands = [command for block in blocks for command, _ in block.commands()]
    if not any(re.match(r"qca code\b", c) for c in commands):
        shutil.copytree(coded_demo, repo / "qca-out")
    monkeypatch.chdir(repo)
    for block in blocks:
        if block.marker == "project" and not (repo / "qca.yaml").exists():
            (repo / "qca.yaml").write_text(DEMO_PROJECT, encoding="utf-8")
        for command, shown in block.commands():
            if "../shared/corpora" in command and not CORPORA.is_dir():
                continue  # the real corpora are optional (tests/test_ingest_corpora.py)
            printed = _run_line(command, runner, monkeypatch)
            _check_shown(command, shown, printed)


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=lambda b: f"{b.page}:{b.line}")
def test_docs_shell_blocks_run_or_say_why(block: ShellBlock) -> None:
    """A block runs only qca commands, or its marker says why it is not run."""
    if block.marker == "skip":
        assert block.reason, f"{block.page}:{block.line}: say why the block is not run"
        return
    for command, _ in block.commands():
        first = shlex.split(command, comments=True)[0]
        assert first == "qca", f"{block.page}:{block.line}: {command}"
