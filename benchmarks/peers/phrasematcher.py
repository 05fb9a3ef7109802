"""The PhraseMatcher script a user would write: lemma-aware term counts per code.

    python benchmarks/peers/phrasematcher.py CODEBOOK PATH... [--text-column comment]

A blank pipeline with the lookup lemmatizer of spacy-lookups-data, one ``PhraseMatcher``
(``attr="LEMMA"``) holding every term of the codebook, and a count of matches per code,
printed as JSON. What it does not do, unlike qca: prefix terms (``coac*``), token patterns,
regexes, ``not`` vetoes and negation are left out, and the lookup is case-sensitive
("Felt" keeps its form), so its counts differ by design.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

import spacy
from spacy.matcher import PhraseMatcher
from texts import codebook_terms, read_texts

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("codebook")
parser.add_argument("paths", nargs="+")
parser.add_argument("--text-column", default="comment")
args = parser.parse_args()
lang, exclude, terms = codebook_terms(args.codebook)
nlp = spacy.blank(lang)
nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
nlp.initialize()
matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
for code, words in terms.items():
    patterns = list(nlp.pipe(term for term in words if not term.endswith("*")))
    if patterns:
        matcher.add(code, patterns)
counts: Counter[str] = Counter({code: 0 for code in terms})
for doc in nlp.pipe(read_texts(args.paths, args.text_column, exclude), batch_size=256):
    for match_id, _start, _end in matcher(doc):
        counts[nlp.vocab.strings[match_id]] += 1
print(json.dumps(dict(counts)))
