"""Trigger plugins: one package per source kind."""
