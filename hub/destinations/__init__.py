"""Routing finished invocations to their on_success / on_failure destinations."""
