"""Huawei FunctionGraph: AsyncInvokeFunction, the function's asynchronous invocations (list,
list active, cancel) and its async-invoke configuration, as huaweicloudsdkfunctiongraph calls
them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web

from hub.api.clouds.errors import CloudError, ErrorShape
from hub.api.clouds.gate import CloudRoutes, cloud_body
from hub.api.clouds.lookup import find_invocation, invocations
from hub.api.clouds.names import functiongraph_function
from hub.api.clouds.outcome import describe_destination
from hub.api.clouds.status_names import FUNCTIONGRAPH, hub_statuses
from hub.api.clouds.submit import CloudCall, function_config, submit
from hub.api.ingest import idempotency_key
from hub.api.listing import MAX_LIMIT, is_invocation_id
from hub.api.schedule import parse_schedule
from hub.api.state import context
from hub.invocation import Invocation
from hub.status import ACTIVE, Status
from hub.store.base import ListQuery
from hub.timefmt import to_rfc3339

routes = web.RouteTableDef()
PREFIX = "/v2/{project}/fgs/functions/{urn}"
EVENT_TYPE = "triggerhub.functiongraph.invoke"
DEFAULT_LIMIT = 10
MAX_PAGE = 100
REGION = "local"
_UNKNOWN = "FSS.1051"
_FG_STATUSES = ("WAIT", "RUNNING", "SUCCESS", "FAIL", "DISCARD")


def _error(status: int, code: str, message: str, rid: str) -> web.Response:
    return web.json_response(
        {"error_code": code, "error_msg": message},
        status=status,
        headers={"X-Request-Id": rid},
    )


ERRORS = ErrorShape(
    _error,
    {
        400: "FSS.0400",
        401: "APIGW.0301",
        403: "APIGW.0301",
        404: _UNKNOWN,
        408: "FSS.0408",
        409: "FSS.0409",
        413: "FSS.0413",
        "signature": "APIGW.0301",
        "access_key": "APIGW.0301",
        "expired": "APIGW.0301",
        "internal": "FSS.0500",
    },
    "FSS.0500",
)


def _urn(project: str, name: str) -> str:
    return f"urn:fss:{REGION}:{project}:function:default:{name}:latest"


def _function(request: web.Request) -> str:
    name = functiongraph_function(request.match_info["urn"])
    function_config(request, name, _UNKNOWN)
    return name


@routes.post(f"{PREFIX}/invocations-async")
async def async_invoke_function(request: web.Request) -> web.Response:
    name = _function(request)
    schedule = parse_schedule(request.headers)
    body = await cloud_body(request)
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError as exc:
        raise CloudError(400, f"the request body is not valid JSON: {exc}") from None
    submitted = await submit(
        request,
        CloudCall(
            function=name,
            event_type=EVENT_TYPE,
            source=f"/v2/fgs/functions/{name}",
            data=data,
            datacontenttype="application/json",
            idempotency_key=idempotency_key(request.headers),
            delay=schedule.delay,
            not_before=schedule.not_before,
        ),
    )
    return web.json_response(
        {"request_id": submitted.id}, status=202, headers={"X-Request-Id": submitted.id}
    )


@routes.get(f"{PREFIX}/async-invocations")
async def list_async_invocations(request: web.Request) -> web.Response:
    name = _function(request)
    return web.json_response(await _listing(request, name, FUNCTIONGRAPH_ALL))


@routes.get(f"{PREFIX}/active-async-invocations")
async def list_active_async_invocations(request: web.Request) -> web.Response:
    name = _function(request)
    return web.json_response(await _listing(request, name, ACTIVE))


FUNCTIONGRAPH_ALL = frozenset(Status)


async def _listing(request: web.Request, name: str, allowed: Collection[Status]) -> dict[str, Any]:
    """One page and the count of all matches. `marker` is an offset into the matches, newest
    first, as FunctionGraph's integer markers are."""
    params = request.query
    marker = _int(params.get("marker"), "marker", 0, 10**9, 0)
    limit = _int(params.get("limit"), "limit", 1, MAX_PAGE, DEFAULT_LIMIT)
    statuses = set(allowed)
    if params.get("status"):
        if params["status"] not in _FG_STATUSES:
            raise CloudError(400, f"status must be one of: {', '.join(_FG_STATUSES)}")
        statuses &= set(hub_statuses(FUNCTIONGRAPH, params["status"]))
    wanted_ids = _request_ids(params.get("request_id") or params.get("requests"))
    single = next(iter(statuses)) if len(statuses) == 1 else None
    query = ListQuery(
        function=name,
        status=single,
        created_after=_time(params.get("query_begin_time"), "query_begin_time"),
        created_before=_time(params.get("query_end_time"), "query_end_time"),
        limit=MAX_LIMIT,
    )
    page: list[Invocation] = []
    count = 0
    if statuses:
        if wanted_ids is not None:
            found = [await find_invocation(request, name, rid) for rid in wanted_ids]
            matches = [inv for inv in found if inv is not None and inv.status in statuses]
            count = len(matches)
            page = matches[marker : marker + limit]
        else:
            async for inv in invocations(request, query):
                if inv.status not in statuses:
                    continue
                if marker <= count < marker + limit:
                    page.append(inv)
                count += 1
    out: dict[str, Any] = {"invocations": [_view(inv) for inv in page], "count": count}
    if marker + len(page) < count:
        out["next_marker"] = marker + len(page)
    return out


def _request_ids(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _int(text: str | None, name: str, low: int, high: int, default: int) -> int:
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and low <= int(text) <= high):
        raise CloudError(400, f"{name} must be a whole number from {low} to {high}")
    return int(text)


def _time(text: str | None, name: str) -> float | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CloudError(
            400, f"{name} must be an ISO 8601 time, like 2024-05-01T12:00:00Z"
        ) from None
    if when.tzinfo is None:
        raise CloudError(400, f"{name} needs a time zone offset, like 2024-05-01T12:00:00Z")
    return when.timestamp()


def _view(inv: Invocation) -> dict[str, Any]:
    view: dict[str, Any] = {
        "request_id": inv.id,
        "status": FUNCTIONGRAPH[inv.status],
        "start_time": to_rfc3339(inv.started_at or inv.created_at),
        "end_time": to_rfc3339(inv.finished_at),
        "error_message": inv.last_error,
    }
    return {k: v for k, v in view.items() if v is not None}


@routes.post(f"{PREFIX}/cancel")
async def cancel_async_invocation(request: web.Request) -> web.Response:
    name = _function(request)
    try:
        body = orjson.loads(await cloud_body(request))
    except orjson.JSONDecodeError as exc:
        raise CloudError(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("request_id"), str):
        raise CloudError(400, 'the body must be {"request_id": "…", "type": "force"}')
    if body.get("type", "force") not in ("force", "recursive"):
        raise CloudError(400, "type must be force or recursive")
    rid = body["request_id"]
    inv = await find_invocation(request, name, rid) if is_invocation_id(rid) else None
    if inv is None:
        raise CloudError(
            404, f"no asynchronous invocation {rid!r} of function {name!r}", "FSS.1052"
        )
    await context(request).hub.stop(inv.id)
    return web.json_response({})


@routes.get(f"{PREFIX}/async-invoke-config")
async def show_async_invoke_config(request: web.Request) -> web.Response:
    name = _function(request)
    config = function_config(request, name, _UNKNOWN)
    project = request.match_info["project"]
    ref = _urn(project, "{name}")
    destinations = {
        slot: {"destination": getattr(dest, "type", ""), "param": describe_destination(dest, ref)}
        for slot, dest in (("on_success", config.on_success), ("on_failure", config.on_failure))
        if dest is not None
    }
    return web.json_response(
        {
            "func_urn": _urn(project, name),
            "max_async_retry_attempts": config.max_retry_attempts,
            "max_async_event_age_in_seconds": int(config.max_event_age),
            "destination_config": destinations,
            "enable_async_status_log": True,
        }
    )


CLOUD = CloudRoutes("functiongraph", r"^/v2/[^/]+/fgs/functions/", ERRORS, routes)
