"""Generate a seeded benchmark corpus and a realistic 200-term codebook.

Half of the words are interview transcripts (``transcripts/*.txt`` with speaker
turns, ~10,000 words each), half short survey comments (``comments.csv``, one
comment of 5-40 words per row). The codebook has 200 terms (single words, lemma
terms, phrases, prefixes) in 40 codes under 10 themes, 20 token patterns and 10
regular expressions. Same seed and size: byte-identical files.

    python benchmarks/gen.py OUT --words 2000000 [--seed 9]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
from collections import defaultdict
from pathlib import Path

FUNCTION = (
    "the and to of a i it that you in we was is they but so for it's on with just "
    "like have be not this what there at all do about if one them our were when "
    "he she my me or an are had really think know because then would very can "
    "some more out up people from how if time well there's don't yeah"
).split()
INTENSIFIERS = ["really", "so", "very", "quite", "pretty"]


def _lookup() -> dict[str, str]:
    from spacy.util import registry

    path = Path(str(registry.lookups.get("en")["lemma_lookup"]))
    if not path.is_file():
        path = Path(str(path) + ".gz")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        data: dict[str, str] = json.load(handle)
    return data


def vocabulary(seed: int) -> tuple[list[str], dict[str, list[str]]]:
    """Return filler words and, per lemma with several inflected forms, its forms."""
    table = _lookup()
    forms: dict[str, list[str]] = defaultdict(list)
    for word, lemma in table.items():
        if word.isalpha() and word.islower() and lemma.isalpha() and 3 <= len(lemma) <= 10:
            forms[lemma].append(word)
    inflected = {k: sorted({k, *v}) for k, v in sorted(forms.items()) if len(v) >= 2}
    words = sorted(w for w in table if w.isalpha() and w.islower() and 3 <= len(w) <= 11)
    rng = random.Random(seed)
    return rng.sample(words, 4000), inflected


def codebook(seed: int, inflected: dict[str, list[str]]) -> tuple[str, list[str]]:
    """Return the codebook YAML and the lemmas its terms use."""
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
    n_pattern = n_regex = 0
    for t in range(10):
        lines += [f"  theme{t:02d}:", f"    label: Theme {t}", "    codes:"]
        for c in range(4):
            terms = []
            for k in range(5):
                word = next(pool)
                if k == 3:
                    terms.append(f'"{word} {next(pool)}"')  # a phrase
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
                n_pattern += 1
            if c == 0:
                w = next(pool)
                lines.append(f"        regex: ['\\b{w}(?:s|ed|ing)?\\b']")
                n_regex += 1
    assert n_pattern == 20 and n_regex == 10
    return "\n".join(lines) + "\n", lemmas


def _sentence(rng: random.Random, filler: list[str], weights: list[float], terms: list[str]) -> str:
    n = rng.randint(6, 18)
    words = rng.choices(filler, weights=weights, k=n)
    if rng.random() < 0.35:
        words[rng.randrange(n)] = rng.choice(terms)
    if rng.random() < 0.1:
        words.insert(rng.randrange(n), rng.choice(INTENSIFIERS))
    if rng.random() < 0.15:
        words.insert(rng.randrange(n), "not")
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?", "!"])


def generate(out: Path, words: int, seed: int = 9) -> Path:
    """Write transcripts, comments.csv and codebook.yaml to *out*; return the codebook path."""
    filler, inflected = vocabulary(seed)
    yaml_text, lemmas = codebook(seed, inflected)
    terms = [form for lemma in lemmas for form in inflected[lemma]]
    pool = FUNCTION + filler
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(pool))]
    rng = random.Random(seed + 2)
    out.mkdir(parents=True, exist_ok=True)
    (out / "codebook.yaml").write_text(yaml_text, encoding="utf-8")
    folder = out / "transcripts"
    folder.mkdir(exist_ok=True)
    half = words // 2
    done = 0
    number = 0
    while done < half:
        number += 1
        turns = []
        size = 0
        while size < min(10_000, half - done):
            speaker = "Interviewer" if len(turns) % 2 == 0 else f"P{number:04d}"
            text = " ".join(_sentence(rng, pool, weights, terms) for _ in range(rng.randint(1, 6)))
            turns.append(f"{speaker}: {text}")
            size += len(text.split())
        (folder / f"interview-{number:04d}.txt").write_text("\n\n".join(turns) + "\n", "utf-8")
        done += size
    with (out / "comments.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "comment", "site"])
        row = 0
        while done < words:
            row += 1
            text = " ".join(_sentence(rng, pool, weights, terms) for _ in range(rng.randint(1, 3)))
            writer.writerow([f"c{row:07d}", text, f"site{rng.randint(1, 8)}"])
            done += len(text.split())
    return out / "codebook.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    generate(args.out, args.words, args.seed)


if __name__ == "__main__":
    main()
