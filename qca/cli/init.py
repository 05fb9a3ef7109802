"""Placeholder: the `init` command is being written."""
