"""The OTLP exporter, made quiet: a collector that is down or refusing costs dropped spans and
one log line a minute, never an error in the invocations being traced."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import structlog
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

log = structlog.get_logger("hub.telemetry")
LOG_EVERY = 60.0


class QuietExporter(SpanExporter):
    def __init__(self, exporter: SpanExporter, log_every: float = LOG_EVERY) -> None:
        self._exporter = exporter
        self._log_every = log_every
        self._dropped = 0
        self._last_log: float | None = None
        self._start_none_after: float | None = None

    def start_none_after(self, deadline: float) -> None:
        """Drop the batches whose export would start after `deadline` (monotonic): on stop,
        the batch processor exports every queued batch one after the other, each allowed the
        export timeout, so a collector that does not answer would hold the stop for each."""
        self._start_none_after = deadline

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._start_none_after is not None and time.monotonic() >= self._start_none_after:
            result = SpanExportResult.FAILURE
            reason = "the daemon is stopping and the collector did not take them in time"
        else:
            try:
                result = self._exporter.export(spans)
            except Exception as exc:  # the exporting thread must go on with the next batch
                result = SpanExportResult.FAILURE
                reason = repr(exc)
            else:
                reason = "the collector did not take them"
        if result is SpanExportResult.FAILURE:
            self._dropped += len(spans)
            now = time.monotonic()
            if self._last_log is None or now - self._last_log >= self._log_every:
                self._last_log = now
                log.warning(
                    "trace export failed; spans dropped",
                    dropped=self._dropped,
                    reason=reason,
                    next_notice_in_s=self._log_every,
                )
                self._dropped = 0
        return result

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)


class OncePerInterval(logging.Filter):
    """Lets a logger's line through once per interval: a library that logs per item (a span
    dropped from a full queue) must not flood the daemon's log."""

    def __init__(self, interval: float) -> None:
        super().__init__()
        self._interval = interval
        self._last: float | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if self._last is not None and now - self._last < self._interval:
            return False
        self._last = now
        return True
