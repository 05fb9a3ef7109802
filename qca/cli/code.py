"""Placeholder: the `code` command is being written."""
