"""The HTTP API: asynchronous invocation, invocation management, probes and metrics."""

from hub.api.app import create_app
from hub.api.server import ApiServer

__all__ = ["ApiServer", "create_app"]
