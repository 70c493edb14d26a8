"""Mortgage applications: one active application per caller, its figures, its documents, payment estimates."""
