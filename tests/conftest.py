"""Fixtures for every test: the real servers (tests/servers) and a clean redactor."""

from collections.abc import Iterator

import pytest

from hub.redact import forget_all

# The OTLP receiver is a fixture for tracing tests in several folders.
pytest_plugins = ["tests.servers.plugin", "tests.telemetry.collector"]


@pytest.fixture(autouse=True)
def _forget_learned_secrets() -> Iterator[None]:
    """Configs loaded in this process teach the redactor their secret values; one test's
    secrets (a short one like `unset`) must not mask another test's output."""
    yield
    forget_all()
