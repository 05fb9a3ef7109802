"""Run every ```python block of the docs, so the examples cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = ["README.md", "docs/python-api.md"]


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
