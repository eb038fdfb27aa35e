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
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            stamp,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[settings.level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
    _route_stdlib_logging(renderer, stamp, settings.level)


class _StdlibToStructlog(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler installed here, so configuring again replaces it."""


def _route_stdlib_logging(
    renderer: structlog.typing.Processor, stamp: structlog.typing.Processor, level: str
) -> None:
    """Libraries log through the standard library (asyncio, aiohttp, client libraries): render
    their lines like ours, a traceback inside the line, so the log stays one JSON object per
    line. Their warnings and errors show, as before; their chatter only at debug level."""
    handler = _StdlibToStructlog(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                stamp,
                structlog.processors.format_exc_info,
            ],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StdlibToStructlog)]:
        root.removeHandler(old)
    root.addHandler(handler)
    wanted = logging.getLevelNamesMapping()[level.upper()]
    root.setLevel(wanted if wanted == logging.DEBUG else max(wanted, logging.WARNING))
