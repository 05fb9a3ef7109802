"""Reading codebooks and dictionaries."""
