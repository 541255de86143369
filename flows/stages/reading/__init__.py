"""Reading one page: its text, metadata, dates, the outlet's template, its language."""
