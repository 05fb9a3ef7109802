"""Reading transcripts into documents and segments."""
