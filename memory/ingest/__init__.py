"""Ingestion: turning what the person says into memories."""
