"""Generate a seeded benchmark corpus of one shape, with a realistic vocabulary and codebook.

Shapes (``--shape``):

- ``A``: ``--files`` transcript files (default 2,000) sharing ``--words`` words;
- ``B``: 10 large transcript files sharing ``--words`` words;
- ``C``: one survey CSV (``comments.csv``: id, comment, site) of ``--comments`` comments
  (default words / 13), about 13 words each;
- ``F``: ``--files`` one-line transcript files in ``many/`` and the same lines as the turns of one
  file ``one/one.txt`` (the per-file overhead).

Transcripts are speaker turns (``Interviewer:`` then ``P0001:``, a blank line between turns).
Words are drawn from a Zipf distribution (exponent 1) over 150,000 distinct words: function words
first, then the English lookup-lemma table's words shuffled, then made-up rare words (typos,
hyphenated compounds, names, numbers). A synthetic corpus with a tiny vocabulary flatters every
per-word cache; this one has ~100k distinct words at 1M words. About one sentence in three
carries a form of a codebook term. The codebook (codebook.yaml) has 200 terms (single words,
lemma terms, phrases, prefixes) in 40 codes under 10 themes, 20 token patterns and 10 regexes.

Writes ``meta.json`` (counts, spare words for edits) last. Same arguments: byte-identical files.

    python benchmarks/gen.py OUT --shape A --words 1000000 [--files 2000] [--seed 9]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
from collections import defaultdict
from pathlib import Path

VERSION = 2  # bump when the output for the same arguments changes
VOCABULARY = 150_000
FUNCTION = (
    "the and to of a i it that you in we was is they but so for it's on with just "
    "like have be not this what there at all do about if one them our were when "
    "he she my me or an are had really think know because then would very can "
    "some more out up people from how time well there's don't yeah"
).split()
INTENSIFIERS = ["really", "so", "very", "quite", "pretty"]
WORDS_PER_COMMENT = 13


def _lookup() -> dict[str, str]:
    from spacy.util import registry

    path = Path(str(registry.lookups.get("en")["lemma_lookup"]))
    if not path.is_file():
        path = Path(str(path) + ".gz")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        data: dict[str, str] = json.load(handle)
    return data


def _made_up(rng: random.Random, real: list[str], taken: set[str], count: int) -> list[str]:
    """Return *count* new rare words: typos, hyphenated compounds, names and numbers."""
    out: list[str] = []
    while len(out) < count:
        kind = rng.random()
        word = rng.choice(real)
        if kind < 0.5 and len(word) >= 5:
            i = rng.randrange(len(word) - 1)
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swapped letters
        elif kind < 0.7:
            word = f"{word}-{rng.choice(real)}"
        elif kind < 0.9:
            word = (word + rng.choice(real)[:3]).capitalize()
        else:
            word = str(rng.randrange(10, 100_000)) + rng.choice(["", "", "s", "pm", "th"])
        if word not in taken:
            taken.add(word)
            out.append(word)
    return out


def vocabulary(seed: int) -> tuple[list[str], dict[str, list[str]]]:
    """Return the words by frequency rank, and per lemma with several inflected forms, its forms."""
    table = _lookup()
    forms: dict[str, list[str]] = defaultdict(list)
    for word, lemma in table.items():
        if word.isalpha() and word.islower() and lemma.isalpha() and 3 <= len(lemma) <= 10:
            forms[lemma].append(word)
    inflected = {k: sorted({k, *v}) for k, v in sorted(forms.items()) if len(v) >= 2}
    real = sorted(
        {w for pair in table.items() for w in pair if w.isalpha() and w.islower() and len(w) >= 2}
        - set(FUNCTION)
    )
    rng = random.Random(seed)
    rng.shuffle(real)
    taken = set(real) | set(FUNCTION)
    rare = _made_up(rng, real, taken, VOCABULARY - len(FUNCTION) - len(real))
    head, tail = real[:40_000], real[40_000:] + rare
    rng.shuffle(tail)
    return FUNCTION + head + tail, inflected


def codebook(seed: int, inflected: dict[str, list[str]]) -> tuple[str, list[str], list[str]]:
    """Return the codebook YAML, the lemmas its rules use and its phrases."""
    rng = random.Random(seed + 1)
    lemmas = rng.sample(sorted(inflected), 320)
    pool = iter(lemmas)
    lines = [
        "name: Benchmark codebook",
        "version: 1",
        "language: en",
        "unit: turn",
        "exclude_speakers: [Interviewer]",
        "themes:",
    ]
    phrases = []
    for t in range(10):
        lines += [f"  theme{t:02d}:", f"    label: Theme {t}", "    codes:"]
        for c in range(4):
            terms = []
            for k in range(5):
                word = next(pool)
                if k == 3:
                    phrases.append(f"{word} {next(pool)}")
                    terms.append(f'"{phrases[-1]}"')
                elif k == 4 and c % 2 == 0:
                    terms.append(f'"{word[:4]}*"')  # a prefix
                else:
                    terms.append(word)
            lines += [
                f"      code{t:02d}{c}:",
                f"        label: Code {t}.{c}",
                f"        terms: [{', '.join(terms)}]",
            ]
            if c < 2:
                a, b, x = next(pool), next(pool), next(pool)
                lines.append(
                    f"        patterns:\n          - [{{LEMMA: {{IN: [{a}, {b}]}}}}, "
                    f'{{LOWER: {{IN: [{", ".join(INTENSIFIERS)}]}}, OP: "?"}}, '
                    f"{{LEMMA: {x}}}]"
                )
            if c == 0:
                lines.append(f"        regex: ['\\b{next(pool)}(?:s|ed|ing)?\\b']")
    return "\n".join(lines) + "\n", lemmas, phrases


class Vocabulary:
    """The words by Zipf rank, the codebook and the term forms to insert (built once per seed)."""

    def __init__(self, seed: int) -> None:
        import numpy as np

        words, inflected = vocabulary(seed)
        self.seed = seed
        self.yaml, lemmas, phrases = codebook(seed, inflected)
        self.words = words
        self.terms = [form for lemma in lemmas for form in inflected[lemma]] + phrases
        used = {form for lemma in lemmas for form in inflected[lemma]}
        self.spare = [w for w in words[2_000:2_200] if w.isalpha() and w not in used][:50]
        weights = 1.0 / np.arange(1, len(words) + 1, dtype=np.float64)
        self.cumulative = np.cumsum(weights) / weights.sum()


class Writer:
    """Makes sentences from a seeded Zipf word stream; counts the words it hands out."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        import numpy as np

        self.words = vocabulary.words
        self.terms = vocabulary.terms
        self._cumulative = vocabulary.cumulative
        self._numpy = np.random.Generator(np.random.PCG64(vocabulary.seed + 2))
        self._rng = random.Random(vocabulary.seed + 3)
        self._stream: list[int] = []
        self.count = 0
        self.seen: set[int] = set()

    def _draw(self, n: int) -> list[int]:
        if len(self._stream) < n:
            draws = self._cumulative.searchsorted(self._numpy.random(max(n, 1 << 16)))
            self._stream += draws.clip(0, len(self.words) - 1).tolist()
        out, self._stream = self._stream[:n], self._stream[n:]
        return out

    def sentence(self, n: int) -> str:
        rng = self._rng
        ids = self._draw(n)
        self.seen.update(ids)
        words = [self.words[i] for i in ids]
        if rng.random() < 0.35:
            words[rng.randrange(n)] = rng.choice(self.terms)
        if rng.random() < 0.1:
            words.insert(rng.randrange(n), rng.choice(INTENSIFIERS))
        if rng.random() < 0.15:
            words.insert(rng.randrange(n), "not")
        if n > 6 and rng.random() < 0.3:
            words[rng.randrange(n - 1)] += ","
        text = " ".join(words)
        self.count += len(text.split())
        return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?", "!"])

    def text(self, words: int) -> str:
        """Return sentences of about *words* words in all (at least one word)."""
        parts = []
        target = self.count + max(words, 1)
        while self.count < target:
            parts.append(self.sentence(max(1, min(self._rng.randint(6, 18), target - self.count))))
        return " ".join(parts)

    def transcript(self, number: int, words: int) -> str:
        """Return a transcript of about *words* words: short questions, longer answers."""
        turns = []
        target = self.count + words
        while self.count < target:
            left = target - self.count
            if len(turns) % 2 == 0:
                turns.append(f"Interviewer: {self.text(min(left, self._rng.randint(5, 25)))}")
            else:
                turns.append(f"P{number:04d}: {self.text(min(left, self._rng.randint(20, 200)))}")
        return "\n\n".join(turns) + "\n"


def generate(
    out: Path,
    shape: str,
    words: int,
    *,
    files: int = 2000,
    comments: int = 0,
    seed: int = 9,
    vocabulary: Vocabulary | None = None,
) -> dict[str, object]:
    """Write one corpus of *shape* and codebook.yaml into *out*; return what meta.json holds."""
    if vocabulary is None or vocabulary.seed != seed:
        vocabulary = Vocabulary(seed)
    writer = Writer(vocabulary)
    out.mkdir(parents=True, exist_ok=True)
    (out / "codebook.yaml").write_text(vocabulary.yaml, encoding="utf-8")
    meta: dict[str, object] = {"version": VERSION, "shape": shape, "seed": seed}
    if shape in ("A", "B"):
        folder = out / "transcripts"
        folder.mkdir(exist_ok=True)
        count = files if shape == "A" else 10
        for number in range(1, count + 1):
            size = words * number // count - words * (number - 1) // count
            text = writer.transcript(number, size)
            (folder / f"interview-{number:04d}.txt").write_text(text, encoding="utf-8")
        meta["files"] = count
    elif shape == "C":
        count = comments or max(1, words // WORDS_PER_COMMENT)
        with (out / "comments.csv").open("w", encoding="utf-8", newline="") as handle:
            table = csv.writer(handle, lineterminator="\n")
            table.writerow(["id", "comment", "site"])
            for row in range(1, count + 1):
                size = words * row // count - words * (row - 1) // count
                length = max(1, round(size * writer._rng.uniform(0.3, 1.7)))
                table.writerow([f"c{row:07d}", writer.text(length), f"site{row % 8 + 1}"])
        meta["comments"] = count
    elif shape == "F":
        lines = [f"P{n:04d}: {writer.text(max(1, words // files))}" for n in range(1, files + 1)]
        (out / "many").mkdir(exist_ok=True)
        (out / "one").mkdir(exist_ok=True)
        for n, line in enumerate(lines, 1):
            (out / "many" / f"line-{n:05d}.txt").write_text(line + "\n", encoding="utf-8")
        (out / "one" / "one.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
        meta["files"] = files
    else:
        raise SystemExit(f"unknown shape {shape!r}; use A, B, C or F")
    texts = [p for p in out.rglob("*") if p.suffix in (".txt", ".csv")]
    meta |= {
        "words": writer.count,
        "distinct_words": len(writer.seen),
        "text_bytes": sum(p.stat().st_size for p in texts),
        "spare_terms": vocabulary.spare,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument(
        "--batch", type=Path, help="a JSON list of {out, shape, words, files, comments, seed}"
    )
    parser.add_argument("--shape", default="A", choices=["A", "B", "C", "F"])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--comments", type=int, default=0, help="default: words / 13")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    if args.batch is None and args.out is None:
        parser.error("give OUT or --batch FILE")
    jobs = [
        {"out": str(args.out), "shape": args.shape, "words": args.words, "files": args.files}
        | {"comments": args.comments, "seed": args.seed}
    ]
    if args.batch is not None:
        jobs = json.loads(args.batch.read_text(encoding="utf-8"))
    shared = None
    for job in jobs:
        if shared is None or shared.seed != job["seed"]:
            shared = Vocabulary(job["seed"])
        meta = generate(
            Path(job["out"]),
            job["shape"],
            job["words"],
            files=job["files"],
            comments=job["comments"],
            seed=job["seed"],
            vocabulary=shared,
        )
        print(json.dumps({k: v for k, v in meta.items() if k != "spare_terms"}))


if __name__ == "__main__":
    main()
