"""Tests of qca.project: reading and scaffolding qca.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from qca.codebook import check_codebook
from qca.errors import OutputError
from qca.project import find_project, init_project, project_paths, read_project


def test_project_init_writes_a_valid_project(tmp_path: Path) -> None:
    created = init_project(tmp_path / "study")
    assert [p.relative_to(tmp_path).as_posix() for p in created] == [
        "study",
        "study/codebooks",
        "study/codebooks/starter.yaml",
        "study/overrides.yaml",
        "study/qca.yaml",
        "study/transcripts",
    ]
    assert check_codebook(tmp_path / "study" / "codebooks" / "starter.yaml") == []
    project = find_project(tmp_path / "study")
    assert project is not None
    assert project.codebook == tmp_path / "study" / "codebooks" / "starter.yaml"
    assert project.output == tmp_path / "study" / "qca-out"
    assert project.participants is None
    assert project.unit == "turn"
    assert list(project_paths(project)) == [tmp_path / "study" / "transcripts"]


def test_project_find_returns_none_without_a_file(tmp_path: Path) -> None:
    assert find_project(tmp_path) is None


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        (
            "transcripts: data\ncodebok: cb.yaml\n",
            [
                "{path}:2:1: codebok: unknown setting; use one of: transcripts, codebook, "
                "output, participants, overrides, unit, speaker_pattern, text_column, "
                "id_column, interviewer_labels, encoding, scheduler, max_file_mb, "
                "count_nested"
            ],
        ),
        ("codebook: [a, b]\n", ["{path}:1:11: codebook: expected a string (put it in quotes)"]),
        ("transcripts: {a: 1}\n", ["{path}:1:14: transcripts: expected a path or a list of them"]),
        ("- a\n", ["{path}:1:1: expected a mapping of settings (key: value)"]),
        (
            "codebook: [a\n",
            ["{path}:2:1: not valid YAML; fix the file or write a new one with qca init"],
        ),
    ],
)
def test_project_errors_name_line_and_key(tmp_path: Path, text: str, lines: list[str]) -> None:
    path = tmp_path / "qca.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OutputError) as info:
        read_project(path)
    assert info.value.lines() == [line.format(path=path) for line in lines]


def test_project_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "qca.yaml").write_text(
        "transcripts: [a, b/c]\ninterviewer_labels: [Dan]\noutput: out\n", encoding="utf-8"
    )
    project = read_project(tmp_path / "qca.yaml")
    assert project.transcripts == (tmp_path / "a", tmp_path / "b" / "c")
    assert project.interviewer_labels == ("dan",)
    assert project.output == tmp_path / "out"
