"""Tables, per-code count comparison and target checks of benchmarks/run.py (standard library)."""

from __future__ import annotations

import csv
import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from measure import Sample, median

ROWS = [
    ("floor", "1", "spaCy floor (whole process: import, blank, read, pipe)"),
    ("cold", "2", "qca code cold --no-cache --jobs 1"),
    ("same", "3", "qca code again, nothing changed (cache)"),
    ("edit", "4", "qca code after a terms-only edit (warm cache)"),
    ("jobs2", "5", "qca code cold --no-cache --jobs 2"),
    ("dask", "5b", "qca code cold --no-cache --scheduler (Dask)"),
    ("phrasematcher", "6", "PhraseMatcher script (lookup lemmas, LEMMA)"),
    ("pandas", "7", "pandas script (str.count, compiled regex per term)"),
]


@dataclass
class Results:
    """The samples of one shape, by step, and the counts per code of qca and the peers."""

    meta: dict[str, object]
    small: dict[str, object] | None
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    cache_bytes: int | None = None
    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, step: str, sample: Sample) -> None:
        self.samples.setdefault(step, []).append(sample)

    def median(self, step: str) -> Sample | None:
        found = self.samples.get(step)
        return median(found) if found else None

    def read_counts(self, folder: Path) -> None:
        """Read term hits per code of qca's cold output and the peers' JSON counts."""
        hits = folder / "out-cold" / "hits.csv"
        if hits.is_file():
            terms: Counter[str] = Counter()
            kept: Counter[str] = Counter()
            with hits.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    if row.get("rule_kind", "term") == "term":
                        terms[row["code"]] += 1
                        kept[row["code"]] += row.get("negated", "False") != "True"
            self.counts["qca terms"], self.counts["qca not negated"] = terms, kept
        for name in ("phrasematcher", "pandas"):
            path = folder / "bench" / f"{name}.json"
            if path.is_file():
                self.counts[name] = Counter(json.loads(path.read_text(encoding="utf-8")))
        if self.counts:
            codes = sorted(set().union(*self.counts.values()))
            with (folder / "bench" / "counts.csv").open("w", encoding="utf-8") as handle:
                table = csv.writer(handle, lineterminator="\n")
                table.writerow(["code", *self.counts])
                table.writerows([c, *(n[c] for n in self.counts.values())] for c in codes)


def _row(number: str, name: str, sample: Sample | None, runs: int) -> str:
    if sample is None:
        return f"{number:>3} {name:<55} {'(not run)':>8}"
    return (
        f"{number:>3} {name:<55} {sample.cpu:>8.2f} {sample.wall:>8.2f} "
        f"{sample.peak_mb:>8.0f} {runs:>5}"
    )


def print_shape(shape: str, label: str, results: Results) -> None:
    meta = results.meta
    size = f"{meta['comments']:,} comments" if shape == "C" else f"{meta['files']:,} files"
    print(
        f"\nShape {shape}, {label}: {size}, {meta['words']:,} words "
        f"({meta['distinct_words']:,} distinct), {int(str(meta['text_bytes'])) / 1e6:.1f} MB text"
    )
    print(f"{'':>3} {'step':<55} {'CPU s':>8} {'wall s':>8} {'peak MB':>8} {'runs':>5}")
    for step, number, name in ROWS:
        if step in results.samples:
            print(_row(number, name, results.median(step), len(results.samples[step])))
    if "cold" in results.samples:
        name = f"peak RSS of (2) at {meta['words']:,} words"
        print(_row("9", name, results.median("cold"), len(results.samples["cold"])))
    if results.small is not None and "rss" in results.samples:
        name = f"peak RSS of (2) at {results.small['words']:,} words"
        print(_row("9", name, results.median("rss"), len(results.samples["rss"])))
    if results.cache_bytes is not None:
        text = int(str(meta["text_bytes"]))
        print(
            f"{'10':>3} cache on disk after rows 3 and 4: {results.cache_bytes / 1e6:,.1f} MB = "
            f"{results.cache_bytes / text:.2f}x the corpus text ({text / 1e6:,.1f} MB)"
        )
    if "themes" in results.samples:
        name = "qca themes on the output of (2)"
        print(_row("11", name, results.median("themes"), len(results.samples["themes"])))


def print_perfile(files: int, words: int, many: list[Sample], one: list[Sample]) -> None:
    a, b = median(many), median(one)
    print(f"\nPer-file overhead: {files:,} one-line files vs one file of the same {words:,} words")
    print(f"{'':>3} {'step':<55} {'CPU s':>8} {'wall s':>8} {'peak MB':>8} {'runs':>5}")
    print(_row("8a", f"qca code cold, {files:,} one-line files", a, len(many)))
    print(_row("8b", "qca code cold, one file of the same lines", b, len(one)))
    cpu, wall = (a.cpu - b.cpu) / files * 1000, (a.wall - b.wall) / files * 1000
    print(f"{'8':>3} per-file overhead: {cpu:.2f} ms CPU, {wall:.2f} ms wall per file")


def print_counts(done: dict[str, Results]) -> None:
    """Compare term hits per code: qca's (negated or not) with the two peer scripts'."""
    lines = []
    for shape, results in done.items():
        qca = results.counts.get("qca terms")
        if not qca:
            continue
        for peer in ("phrasematcher", "pandas"):
            theirs = results.counts.get(peer)
            if theirs is None:
                continue
            ratios = [theirs[code] / qca[code] for code in qca if qca[code]]
            near = sum(0.5 <= r <= 2 for r in ratios)
            lines.append(
                f"  {shape} {peer:<13} {sum(theirs.values()):>9,} hits vs qca {sum(qca.values()):,}"
                f" ({sum(results.counts['qca not negated'].values()):,} not negated); per code "
                f"{peer}/qca median {statistics.median(ratios):.2f}, "
                f"{min(ratios):.2f}-{max(ratios):.2f}, {near}/{len(ratios)} codes within 0.5-2x"
            )
    if lines:
        print("\nTerm hits per code, qca vs the peer scripts (runs/<shape>/bench/counts.csv):")
        print("\n".join(lines))
        print(
            "  They differ by design: qca also counts prefix terms (the PhraseMatcher script "
            "drops them), matches lemmas case-insensitively (pandas matches the written form "
            "only; the lookup lemmatizer is case-sensitive), and drops hits vetoed by `not`."
        )


def _verdict(checks: list[tuple[str, str, bool]]) -> str:
    return "met   " if checks and all(ok for _, _, ok in checks) else "missed"


def _line(title: str, checks: list[tuple[str, str, bool]]) -> None:
    if not checks:
        print(f"  [n/a   ] {title}: not measured")
        return
    figures = "; ".join(f"{s} {text} {'ok' if ok else 'MISSED'}" for s, text, ok in checks)
    print(f"  [{_verdict(checks)}] {title}: {figures}")


def print_targets(
    done: dict[str, Results], perfile: tuple[list[Sample], list[Sample]] | None, files: int
) -> None:
    """Print each target of #16 as met or missed, with the figures behind it."""
    print("\nTargets (CPU seconds unless said; medians):")
    floor, peers, same, edit, jobs, rss = [], [], [], [], [], []
    for shape, r in done.items():
        cold = r.median("cold")
        if cold is None:
            continue
        if (f := r.median("floor")) is not None:
            floor.append((shape, f"{f.cpu / cold.cpu:.2f}x", f.cpu / cold.cpu >= 0.8))
        pm, pd = r.median("phrasematcher"), r.median("pandas")
        if pm is not None and pd is not None:
            low = min(pm.cpu, pd.cpu) / cold.cpu
            text = f"{pm.cpu / cold.cpu:.2f}x/{pd.cpu / cold.cpu:.2f}x"
            peers.append((shape, text, low >= 2))
        if (s := r.median("same")) is not None:
            same.append((shape, f"{s.cpu:.2f} s ({s.wall:.2f} s wall)", s.cpu <= 0.5))
        if (e := r.median("edit")) is not None:
            edit.append((shape, f"{cold.cpu / e.cpu:.1f}x", cold.cpu / e.cpu >= 10))
        if (j := r.median("jobs2")) is not None:
            speed, more = cold.wall / j.wall, j.cpu / cold.cpu
            text = f"{speed:.2f}x wall, {more - 1:+.0%} CPU"
            jobs.append((shape, text, speed >= 1.7 and more <= 1.1))
        if (small := r.median("rss")) is not None and r.small is not None:
            ratio = cold.peak_mb / small.peak_mb
            text = f"{cold.peak_mb:.0f}/{small.peak_mb:.0f} MB = {ratio:.2f}x"
            rss.append((shape, text, ratio <= 1.2 and cold.peak_mb < 500))
    _line("cold --jobs 1 >= 0.8x the spaCy floor (floor / qca)", floor)
    _line("cold --jobs 1 >= 2x faster than both peers (PhraseMatcher/pandas vs qca)", peers)
    _line("nothing changed <= 0.5 s", same)
    _line("terms-only edit >= 10x faster than cold (cold / edit)", edit)
    if perfile is not None:
        ms = (median(perfile[0]).cpu - median(perfile[1]).cpu) / files * 1000
        _line("per-file overhead <= 0.5 ms", [("F", f"{ms:.2f} ms", ms <= 0.5)])
    else:
        _line("per-file overhead <= 0.5 ms", [])
    _line("--jobs 2 >= 1.7x --jobs 1 in wall time with <= 10% more CPU", jobs)
    _line("peak RSS at --words <= 1.2x at a tenth of it, and < 500 MB", rss)
    themes = []
    for shape, r in done.items():
        if shape == "C" and (t := r.median("themes")) is not None:
            text = f"{t.cpu:.2f} s ({t.wall:.2f} s wall), {t.peak_mb:.0f} MB"
            themes.append(
                (f"C ({r.meta['comments']:,} comments)", text, t.cpu < 3 and t.peak_mb < 500)
            )
    _line("qca themes on the survey shape < 3 s and < 500 MB", themes)
