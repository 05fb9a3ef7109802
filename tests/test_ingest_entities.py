"""A .docx whose XML declares entities: read safely, and said so (#19)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app


def _docx_with_entity(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Anna: We wanted to change things.")
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                head, rest = data.split(b"?>", 1)
                data = head + b'?><!DOCTYPE d [<!ENTITY e "x">]>' + rest
                data = data.replace(b"change things", b"change &e; things")
            target.writestr(item, data)


def test_ingest_docx_entities_warn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.chdir(tmp_path)
    _docx_with_entity(tmp_path / "e.docx")
    result = runner.invoke(app, ["ingest", "e.docx", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert (
        "warning: e.docx: declares XML entities (a DTD), which qca does not expand for "
        "safety; text next to an entity may be missing; re-save the document in Word"
    ) in result.stderr.splitlines()
