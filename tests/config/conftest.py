from __future__ import annotations

from pathlib import Path

import pytest

from hub.plugins import Registry
from tests.plugins.kinds import TICKER
from tests.plugins.memory import MEMORY

EXAMPLE = Path(__file__).with_name("example.yaml")


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.register(MEMORY)
    registry.register(TICKER)
    return registry
