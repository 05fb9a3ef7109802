"""Shared fixtures: a CliRunner, paths to the repository and to the shared corpora."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"

# Where PYTHONDONTWRITEBYTECODE is set, every test worker would compile and rewrite every
# test module again (about 8 s of a 13 s collection) and every `qca` subprocess compile
# qca (about 0.3 s each): byte code goes to the checkout's (ignored) __pycache__ instead.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# Deterministic rich output in every test.
os.environ["COLUMNS"] = "120"
os.environ["TERM"] = "unknown"
os.environ.pop("FORCE_COLOR", None)
os.environ["NO_COLOR"] = "1"

# In CI (.ci/run sets CI) every property test draws the same examples each run, so a
# red run is reproducible; elsewhere the examples are random, to keep finding new cases.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def scheduler() -> Iterator[str]:
    """The address of a Dask cluster of two small worker processes on localhost.

    One per test process: starting one takes several seconds. Tests of ``local:N``
    itself start their own.
    """
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: 8787 may be taken
        host="127.0.0.1",
    )
    yield cluster.scheduler_address
    cluster.close()


@pytest.fixture
def corpora() -> Path:
    """The shared real corpora; tests that use it skip when it is absent."""
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is absent")
    return CORPORA


@pytest.fixture(autouse=True, scope="session")
def blank_spacy_loaded_once() -> Iterator[None]:
    """Build each blank spaCy language once per test process, not once per `qca code` run.

    Building one (tokenizer rules and expressions) takes about 0.4 s and the suite codes in
    process hundreds of times. qca never changes a spaCy ``Language``; what a run learns
    (lemmas, its lexicon) lives in the ``Pipeline`` around it, which is still new for every
    load. Saved models (``--model``) still load every time, and the tests that run `qca` as
    a subprocess load afresh, as a user's run does.
    """
    from qca.engine import pipeline

    load = pipeline.load_pipeline
    built: dict[str, pipeline.Pipeline] = {}

    def load_once(language: str, model: str | None = None) -> pipeline.Pipeline:
        if model:
            return load(language, model)
        if language not in built:
            built[language] = load(language)
        first = built[language]
        return pipeline.Pipeline(first.language, first.nlp, first.model, first.fingerprint)

    patch = pytest.MonkeyPatch()
    patch.setattr(pipeline, "load_pipeline", load_once)
    yield
    patch.undo()
