"""The pieces of a coding run that :mod:`qca.coding` puts together.

``batches`` gathers segments into coding batches, ``parts`` writes segments as
Arrow parts and joins them, ``pool`` runs ``--jobs N`` worker processes, and
``codings`` counts the hits into the codings table, and ``write`` prepares the
output folder and writes the tables and ``run.json``.
"""
