"""The coding engine: a compiled codebook matched against tokenised segments.

Layers inside, each importing only those above it in this list:

- :mod:`~qca.engine.lexicon`: strings and chunks numbered once per pipeline;
- :mod:`~qca.engine.pipeline`: spaCy pipelines, lemma lookups, token arrays;
- :mod:`~qca.engine.rules`: a codebook compiled to plain, picklable :class:`~qca.engine.rules.Rules`;
- :mod:`~qca.engine.batch`: one batch's token views and hit columns;
- :mod:`~qca.engine.terms`, :mod:`~qca.engine.regexes`, :mod:`~qca.engine.plans`,
  :mod:`~qca.engine.patterns`: how each kind of rule is found;
- :mod:`~qca.engine.match`: the :class:`~qca.engine.match.Matcher` of one language, which
  owns every table derived from the rules (vetoes, duplicates, negation);
- :mod:`~qca.engine.store`: token arrays and per-code hits on disk (lookup and store only);
- :mod:`~qca.engine.hits`: segments table -> hits table (:func:`~qca.engine.hits.code_batch`).

Nothing here keeps state at module level: an :class:`~qca.engine.hits.Engine` holds the
pipelines and matchers of one run.
"""
