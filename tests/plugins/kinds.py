"""More test-only trigger kinds: a second kind for the schema's union, one whose factory needs
a client library that is not installed, and one whose factory module does not exist."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hub.config.durations import Duration
from hub.config.triggers import TriggerConfig
from hub.plugins import TriggerKind


class TickerConfig(TriggerConfig):
    """Test ticks at a fixed interval."""

    type: Literal["ticker"]
    every: Duration = Field(gt=0, description="Interval between ticks.")


class NeedsLibConfig(TriggerConfig):
    type: Literal["needs-lib"]
    target: str


class NoModuleConfig(TriggerConfig):
    type: Literal["no-module"]


TICKER = TriggerKind("ticker", TickerConfig, "tests.plugins.needs_lib:build", extra="kafka")
NEEDS_LIB = TriggerKind("needs-lib", NeedsLibConfig, "tests.plugins.needs_lib:build", extra="kafka")
NO_MODULE = TriggerKind("no-module", NoModuleConfig, "tests.plugins.not_a_module:build", "kafka")
