"""The daily digest: built from the stored stories, rendered, and sent once."""
