"""Sampling of the success lines, on an embedded Hub with the outcome log attached."""

from __future__ import annotations

import itertools

from structlog.testing import capture_logs

from hub import Event
from hub.config.document import OutcomeLogSettings
from hub.outcomes import OutcomeLog
from tests.engine.conftest import MakeHub, fn


async def test_a_sample_rate_logs_that_share_of_successes(make_hub: MakeHub) -> None:
    # The draws are fixed, not random, so the share is exact: 0.0, 0.25, 0.5, 0.75, ...
    draws = itertools.cycle([0.0, 0.25, 0.5, 0.75])
    outcomes = OutcomeLog(OutcomeLogSettings(success_sample=0.5), draw=lambda: next(draws))
    async with make_hub({"echo": fn("echo")}) as hub:
        outcomes.attach(hub.hooks)
        with capture_logs() as logs:
            for n in range(40):
                [submitted] = await hub.submit("echo", [Event(type="t", source="s", data=n)])
                assert (await hub.wait(submitted.id, timeout=10)).status == "succeeded"
    succeeded = [entry for entry in logs if entry["event"] == "invocation succeeded"]
    assert len(succeeded) == 20
    assert {entry["log_level"] for entry in succeeded} == {"info"}
