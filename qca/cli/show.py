"""Placeholder: the `show` command is being written."""
