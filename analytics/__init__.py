"""Routing-log schema, ingestion into DuckDB, prices and queries. Never imports Textual."""
