"""The staff console: people and their requests, audit search, the compliance report, key and
worker status, break-glass reads (the moderation queue is community's, under /staff/ too)."""
