"""What the hub's API adds for the Kubernetes audit webhook: the route and its OpenAPI entry."""

from __future__ import annotations

from typing import Any

from triggers.audit.kubernetes.openapi import OPERATION, PATH
from triggers.audit.kubernetes.webhook import routes

OPENAPI_PATHS: dict[str, Any] = {PATH: {"post": OPERATION}}

__all__ = ["OPENAPI_PATHS", "routes"]
