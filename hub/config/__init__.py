"""Typed configuration models: one model per section, target and destination kind."""
