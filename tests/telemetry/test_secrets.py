"""What a trace carries out of the daemon is redacted like any other exit: a failed attempt's
or delivery's error text goes to the collector with its secrets hidden."""

from __future__ import annotations

import sys
from pathlib import Path

from hub import Event
from hub.config.functions import FunctionConfig
from hub.telemetry import TelemetrySettings
from tests.support import hub_factory
from tests.telemetry.collector import Collector
from tests.waiting import until

PASSWORD = "hunter2-pass-word"
TOKEN = "tok3n-Abcdef123456"
LEAK = f"cannot reach https://bob:{PASSWORD}@db.example/x (Authorization: Bearer {TOKEN})"
EXIT_WITH_LEAK = f"raise SystemExit({LEAK!r})"


async def test_error_texts_in_spans_are_redacted(tmp_path: Path, collector: Collector) -> None:
    fails = FunctionConfig.model_validate(
        {
            "target": {"type": "command", "argv": [sys.executable, "-c", EXIT_WITH_LEAK]},
            "max_retry_attempts": 1,
            "retry_backoff": {"initial": "10ms", "max": "10ms", "jitter": False},
            # Nobody listens there: the delivery fails with the URL in its error.
            "on_failure": f"http://carol:{PASSWORD}@127.0.0.1:9/dead?api_key={TOKEN}",
        }
    )
    telemetry = TelemetrySettings(otlp_endpoint=collector.endpoint)
    async with hub_factory(tmp_path, {"fails": fails})(telemetry=telemetry) as hub:
        [sub] = await hub.submit("fails", [Event(type="t", source="/test", data={"n": 1})])
        await hub.wait(sub.id, timeout=30)
        await until(lambda: len(collector.named("send http")) >= 1, timeout=30)
    attempts = collector.named("process fails")
    assert [a.status for a in attempts] == ["error", "error"]
    assert "db.example" in attempts[0].status_message  # the error is there, its secrets not
    spans = attempts + collector.named("send http")
    for span in spans:
        shown = f"{span.status_message} {span.attributes}"
        assert PASSWORD not in shown, span
        assert TOKEN not in shown, span
