"""Placeholder: the `ingest` command is being written."""
