"""The pipeline's composition: stages put together into ingest, analysis and maintenance runs, over storage."""
