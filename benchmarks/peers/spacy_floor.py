"""The whole-process spaCy floor: import spaCy, a blank pipeline, read the texts, tokenise them.

    python benchmarks/peers/spacy_floor.py PATH... [--lang en] [--text-column comment]

Tokenises each coded unit (speaker turn, survey comment) with ``nlp.pipe`` and nothing else:
no lemmas, no matching, no output but the number of tokens.
"""

from __future__ import annotations

import argparse

import spacy
from texts import read_texts

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("paths", nargs="+")
parser.add_argument("--lang", default="en")
parser.add_argument("--text-column", default="comment")
parser.add_argument("--exclude", action="append", default=["Interviewer"])
args = parser.parse_args()
nlp = spacy.blank(args.lang)
texts = read_texts(args.paths, args.text_column, frozenset(args.exclude))
print(sum(len(doc) for doc in nlp.pipe(texts, batch_size=256)))
