"""Placeholder: the `codebook` command is being written."""
