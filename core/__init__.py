"""Cross-cutting parts every package may import: settings, database, store, security, logging."""
