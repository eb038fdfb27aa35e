"""Broker URLs as they may be shown: never with the password, and as CloudEvents sources."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

from hub.redact import MASK, redact_credentials

AMQP_URL_PATTERN = r"^amqps?://"
DEFAULT_PORTS = {"amqp": 5672, "amqps": 5671}
DEFAULT_EXCHANGE = "amq.default"  # RabbitMQ's name for the nameless default exchange


def mask_url(url: str) -> str:
    """The URL with its password (if any) replaced by `***`, for logs and status."""
    return redact_credentials(url)


def broker_base(url: str) -> str:
    """`amqp://host[:port]/<vhost>`: the broker and vhost part of every event's `source`, with
    the vhost percent-encoded (the default vhost `/` is `%2F`) and no credentials."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{port}"
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    return f"amqp://{host}/{quote(vhost, safe='')}"


def event_source(base: str, exchange: str) -> str:
    return f"{base}/{quote(exchange or DEFAULT_EXCHANGE, safe='')}"


def scrub(text: str, url: str) -> str:
    """`text` (an error message) with the URL's password taken out, however it was written."""
    password = urlsplit(url).password
    if password:
        for form in {password, unquote(password)}:
            text = text.replace(form, MASK)
    return text
