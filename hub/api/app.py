"""The aiohttp application serving a Hub: invocations, management, probes and metrics."""

from __future__ import annotations

from aiohttp import web

from hub.api import clouds
from hub.api.auth import bearer_auth
from hub.api.draining import refuse_new_work
from hub.api.errors import json_errors
from hub.api.loopback_host import loopback_host_only
from hub.api.openapi import openapi_json
from hub.api.routes_admin import routes as admin_routes
from hub.api.routes_control import routes as control_routes
from hub.api.routes_invocations import routes as invocation_routes
from hub.api.routes_webhooks import routes as webhook_routes
from hub.api.state import (
    CONTEXT,
    ApiContext,
    ApiSettings,
    Draining,
    Ready,
    TriggerLookup,
)
from hub.api_defaults import BODY_TIMEOUT
from hub.console.app import add_console
from hub.engine import Hub
from hub.hooks import Hooks
from hub.metrics import Metrics
from hub.plugins.webhooks import webhook_openapi_paths
from hub.redact import remember
from hub.scraped_metrics import TriggersStatus


def create_app(
    hub: Hub,
    *,
    token: str | None,
    max_body_bytes: int,
    triggers_status: TriggersStatus | None = None,
    ready: Ready | None = None,
    metrics: Metrics | None = None,
    trigger_config: TriggerLookup | None = None,
    body_timeout: float = BODY_TIMEOUT,
    draining: Draining | None = None,
    access_keys: clouds.AccessKeys | None = None,
) -> web.Application:
    """`token`: when set, every route but /healthz and /readyz needs `Authorization: Bearer
    <token>`. `metrics`: pass one to share it; otherwise the app makes its own and feeds it
    from `hub.hooks` while the app lives. `body_timeout`: seconds a request body may take to
    arrive. `draining`: seconds left of the shutdown drain, None when not draining; while
    draining, requests that change something get 503. `access_keys`: the key pairs that
    requests signed by the clouds' SDKs are checked against (hub/api/clouds)."""
    if token is not None and not token:
        raise ValueError("the API token must not be empty; use None for no authentication")
    if max_body_bytes < 1:
        raise ValueError("max_body_bytes must be at least 1")
    if body_timeout <= 0:
        raise ValueError("body_timeout must be positive")
    remember([token])
    token_auth = None if token is None else bearer_auth(token)
    auth = clouds.auth(access_keys or clouds.AccessKeys(), token_auth)
    middlewares = [json_errors, auth, refuse_new_work]
    if token is None:
        middlewares.insert(1, loopback_host_only)
    # client_max_size guards aiohttp's own body readers; the invocation route reads with the
    # same limit itself so that chunked bodies are cut off too.
    app = web.Application(middlewares=middlewares, client_max_size=max_body_bytes)
    extra_paths = webhook_openapi_paths()
    if metrics is None:
        metrics = Metrics()
        _feed_while_serving(app, metrics, getattr(hub, "hooks", None))
    app[CONTEXT] = ApiContext(
        hub=hub,
        settings=ApiSettings(token=token, max_body_bytes=max_body_bytes, body_timeout=body_timeout),
        metrics=metrics,
        openapi=openapi_json(auth=token is not None, extra_paths=extra_paths),
        triggers_status=triggers_status,
        ready=ready,
        trigger_config=trigger_config,
        draining=draining,
    )
    app.add_routes(control_routes)  # before /v1/invocations/{id}/… so it is not an id
    app.add_routes(invocation_routes)
    app.add_routes(admin_routes)
    clouds.add_cloud_routes(app)
    app.add_routes(webhook_routes)
    add_console(app)
    return app


def _feed_while_serving(app: web.Application, metrics: Metrics, hooks: object) -> None:
    # The hub's hook points may not exist yet (older engine): metrics then show only what is
    # read at scrape time.
    if not isinstance(hooks, Hooks):
        return
    metrics.attach(hooks)

    async def detach(_app: web.Application) -> None:
        metrics.detach(hooks)

    app.on_cleanup.append(detach)
