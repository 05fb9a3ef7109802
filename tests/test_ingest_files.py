"""find_files: a file reached twice (links, a folder named twice) is read once."""

from __future__ import annotations

from pathlib import Path

import pytest

from qca.ingest.files import find_files


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "real" / "transcripts"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("A: one\n", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("B: two\n", encoding="utf-8")
    (folder / "people.csv").write_text("speaker,group\nA,x\n", encoding="utf-8")
    return folder


def test_a_linked_file_in_a_folder_is_read_once(tmp_path: Path) -> None:
    folder = _corpus(tmp_path)
    (folder / "z-link.txt").symlink_to(folder / "a.txt")
    files, problems, unread = find_files([folder], folder / "people.csv")
    assert files == [folder / "a.txt", folder / "sub" / "b.txt"]
    assert (problems, unread) == ([], [])


def test_a_folder_named_through_a_link_is_the_same_folder(tmp_path: Path) -> None:
    folder = _corpus(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(folder)
    participants = link / "people.csv"
    files, _problems, _unread = find_files([link, folder, folder / "a.txt"], participants)
    assert files == [link / "a.txt", link / "sub" / "b.txt"]


def test_a_linked_folder_inside_a_folder_is_not_entered(tmp_path: Path) -> None:
    folder = _corpus(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.txt").write_text("C: three\n", encoding="utf-8")
    (folder / "linked").symlink_to(other)
    files, _problems, _unread = find_files([folder], folder / "people.csv")
    assert files == [folder / "a.txt", folder / "sub" / "b.txt"]


def test_the_current_folder_and_its_files_named_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _corpus(tmp_path)
    monkeypatch.chdir(folder)
    files, _problems, _unread = find_files([".", "a.txt", folder / "sub"], Path("people.csv"))
    assert files == [Path("a.txt"), Path("sub/b.txt")]
