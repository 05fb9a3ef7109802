"""Placeholder: the `explain` command is being written."""
