"""The business: one package per domain (tables, tools, sentences)."""
