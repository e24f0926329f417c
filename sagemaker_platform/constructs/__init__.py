"""Reusable constructs, one module per capability."""
