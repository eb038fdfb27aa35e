"""structlog set-up: JSON lines when stdout is not a terminal, readable console output when it
is; every line carries the bound fields (trigger, function, invocation, attempt)."""

from __future__ import annotations

import logging
import sys

import structlog

from hub.config.document import LogSettings


def configure_logging(settings: LogSettings) -> None:
    console = settings.format == "console" or (settings.format == "auto" and sys.stdout.isatty())
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if console else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[settings.level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
