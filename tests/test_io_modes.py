"""Files written through the safe-write path keep the umask's mode, or their own (#19, #17)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from qca.io import atomic_write_bytes

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def umask_002() -> Iterator[None]:
    old = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_io_new_file_gets_the_umask_mode(tmp_path: Path, umask_002: None) -> None:
    atomic_write_bytes(tmp_path / "overrides.yaml", b"decisions: []\n")
    assert oct(_mode(tmp_path / "overrides.yaml")) == oct(0o664)


def test_io_rewritten_file_keeps_its_mode(tmp_path: Path, umask_002: None) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    atomic_write_bytes(path, b"new\n")
    assert (path.read_bytes(), oct(_mode(path))) == (b"new\n", oct(0o640))
