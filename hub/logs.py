"""structlog set-up: JSON lines when stdout is not a terminal, readable console output when it
is; every line carries the bound fields (trigger, function, invocation, attempt), and no line
carries a secret (see hub.redact). Client libraries' own warnings (stdlib logging) go through
the same redaction and renderer."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from hub.config.document import LogSettings
from hub.redact import redact_json, redact_text

_SCALARS = (str, int, float, bool, type(None))
# Fields whose values the hub makes itself (ids, names from the config's keys, enums): on the
# per-invocation outcome lines they are most of the line, and running them through the
# redactor would be most of its cost.
_HUB_MADE = frozenset(
    {"timestamp", "level", "logger", "invocation", "function", "trigger", "outcome", "condition"}
)
# Client libraries log at INFO what only a debugging operator wants.
_LIBRARY_LEVEL = logging.WARNING


def configure_logging(settings: LogSettings) -> None:
    console = settings.format == "console" or (settings.format == "auto" and sys.stdout.isatty())
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if console else structlog.processors.JSONRenderer()
    )
    level = logging.getLevelNamesMapping()[settings.level.upper()]
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            timestamper,
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(sys.stdout),  # one write per line
        cache_logger_on_first_use=False,
    )
    _route_stdlib_logging(
        renderer, timestamper, level if level == logging.DEBUG else max(level, _LIBRARY_LEVEL)
    )


def _route_stdlib_logging(
    renderer: structlog.typing.Processor, timestamper: structlog.typing.Processor, level: int
) -> None:
    """Records of stdlib loggers (aiokafka, aio-pika, …) rendered like our own lines, instead of
    printed raw by logging's last-resort handler: they may quote a URL with its password."""
    handler = logging.StreamHandler(sys.stdout)
    handler.set_name("triggerhub")
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                timestamper,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redact_secrets,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != "triggerhub"] + [handler]
    root.setLevel(level)


def redact_secrets(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Every value of a log line, the message and a formatted traceback included, through the
    redactor; other objects (an exception passed as a field) as the renderer would show them."""
    shown: structlog.typing.EventDict = {}
    for key, value in event_dict.items():
        if key in _HUB_MADE or value is None or isinstance(value, bool | int | float):
            shown[key] = value  # ids, names and figures the hub itself wrote: no secret
        elif isinstance(value, str):
            shown[key] = redact_text(value)
        else:
            shown[key] = redact_json(_plain(value))
    return shown


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value if isinstance(value, _SCALARS) else repr(value)
