"""What leaves the pipeline: the digest, mail and webhooks."""
