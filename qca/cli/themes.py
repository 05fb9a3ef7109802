"""Placeholder: the `themes` command is being written."""
