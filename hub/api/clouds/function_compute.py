"""Alibaba Function Compute 3.0: InvokeFunction (Async with x-fc-async-delay and
x-fc-async-task-id, or Sync), the async tasks (get, list, stop) and the async-invoke
configuration, as alibabacloud-fc20230330 calls them."""

from __future__ import annotations

import re
from typing import Any

import orjson
from aiohttp import web

from hub.api.clouds.errors import CloudError, ErrorShape
from hub.api.clouds.function_compute_views import arn, task_id_of, task_view
from hub.api.clouds.gate import CloudRoutes, cloud_body, request_id
from hub.api.clouds.lookup import find_invocation, invocations
from hub.api.clouds.outcome import describe_destination, wait_for_outcome
from hub.api.clouds.status_names import FC, FC_ONLY, hub_statuses
from hub.api.clouds.submit import CloudCall, function_config, submit
from hub.api.listing import is_invocation_id
from hub.api.schedule import DELAY
from hub.api.state import context
from hub.invocation import Invocation
from hub.status import Status
from hub.store.base import ListQuery
from hub.submission import MAX_DELAY

routes = web.RouteTableDef()
PREFIX = "/2023-03-30/functions/{name}"
EVENT_TYPE = "triggerhub.fc.invoke"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
TASK_ID = re.compile(r"^[0-9A-Za-z_-]{1,128}$")
_UNKNOWN = "FunctionNotFound"
_NO_TASK = "AsyncTaskNotFound"
_LIST_PARAMETERS = frozenset(
    {
        "includePayload",
        "limit",
        "nextToken",
        "prefix",
        "qualifier",
        "sortOrderByTime",
        "startedTimeBegin",
        "startedTimeEnd",
        "status",
    }
)


def _error(status: int, code: str, message: str, rid: str) -> web.Response:
    return web.json_response(
        {"Code": code, "Message": message, "RequestId": rid},
        status=status,
        headers={"x-fc-request-id": rid},
    )


ERRORS = ErrorShape(
    _error,
    {
        400: "InvalidArgument",
        401: "AccessDenied",
        403: "AccessDenied",
        404: _UNKNOWN,
        408: "RequestTimeout",
        409: "InvalidState",
        413: "PayloadTooLarge",
        "signature": "SignatureNotMatch",
        "access_key": "InvalidAccessKeyId.NotFound",
        "expired": "RequestTimeTooSkewed",
        "internal": "InternalServerError",
    },
    "InternalServerError",
)


@routes.post(f"{PREFIX}/invocations")
async def invoke_function(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    config = function_config(request, name, _UNKNOWN)
    kind = request.headers.get("x-fc-invocation-type", "Sync")
    if kind not in ("Async", "Sync"):
        raise CloudError(400, "x-fc-invocation-type must be Async or Sync")
    delay = _delay(request.headers.get("x-fc-async-delay"))
    task_id = request.headers.get("x-fc-async-task-id")
    if task_id is not None and not TASK_ID.fullmatch(task_id):
        raise CloudError(400, "x-fc-async-task-id must be 1-128 letters, digits, '_' or '-'")
    if kind == "Sync" and (delay or task_id is not None):
        raise CloudError(400, "x-fc-async-delay and x-fc-async-task-id need an Async invocation")
    body = await cloud_body(request)
    json_body = request.content_type == "application/json"
    call = CloudCall(
        function=name,
        event_type=EVENT_TYPE,
        source=f"/2023-03-30/functions/{name}",
        data=_json(body) if json_body and body else (body or None),
        datacontenttype=request.content_type,
        idempotency_key=task_id,
        delay=delay,
    )
    submitted = await submit(request, call)
    headers = {"x-fc-request-id": submitted.id}
    if kind == "Async":
        return web.Response(status=202, headers=headers)
    outcome = await wait_for_outcome(request, submitted.id, config.timeout)
    inv = outcome.invocation
    if inv is not None and outcome.succeeded:
        return web.Response(status=200, body=orjson.dumps(inv.response), headers=headers)
    headers["x-fc-error-type"] = "UnhandledInvocationError"
    message = (
        f"invocation {submitted.id} did not finish within the function's timeout"
        if inv is None
        else inv.last_error or f"invocation {inv.id} is {inv.status}"
    )
    error = {"errorMessage": message, "errorType": "Timeout" if inv is None else inv.condition}
    return web.Response(status=200, body=orjson.dumps(error), headers=headers)


def _delay(text: str | None) -> float | None:
    if text is None:
        return None
    if not DELAY.fullmatch(text):
        raise CloudError(
            400,
            f"x-fc-async-delay must be a number of seconds from 0 to {MAX_DELAY:g} (7 days)",
        )
    return float(text)


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise CloudError(400, f"the body is not valid JSON: {exc}") from None


@routes.get(f"{PREFIX}/async-tasks/{{task}}")
async def get_async_task(request: web.Request) -> web.Response:
    inv = await _task(request)
    return web.json_response(task_view(inv, include_payload=True))


@routes.put(f"{PREFIX}/async-tasks/{{task}}/stop")
async def stop_async_task(request: web.Request) -> web.Response:
    inv = await _task(request)
    if inv.status.final:
        raise CloudError(
            409, f"async task {request.match_info['task']!r} is already {FC[inv.status]}"
        )
    await context(request).hub.stop(inv.id)
    return web.Response(status=200, headers={"x-fc-request-id": request_id()})


async def _task(request: web.Request) -> Invocation:
    name = request.match_info["name"]
    function_config(request, name, _UNKNOWN)
    task = request.match_info["task"]
    inv = await find_invocation(request, name, task)
    if inv is None:
        raise CloudError(404, f"no async task {task!r} of function {name!r}", _NO_TASK)
    return inv


@routes.get(f"{PREFIX}/async-tasks")
async def list_async_tasks(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    function_config(request, name, _UNKNOWN)
    params = request.query
    unknown = sorted(set(params) - _LIST_PARAMETERS)
    if unknown:
        raise CloudError(400, f"unknown parameter {unknown[0]!r}")
    if params.get("sortOrderByTime", "desc").lower() != "desc":
        raise CloudError(400, "sortOrderByTime: the hub lists tasks newest first only (desc)")
    limit = _number(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT) or DEFAULT_LIMIT
    token = params.get("nextToken") or None
    if token is not None and not is_invocation_id(token):
        raise CloudError(400, "nextToken must be a nextToken from a previous page")
    statuses: list[Status | None] = [None]
    if "status" in params:
        wanted = params["status"]
        if wanted not in (*FC.values(), *FC_ONLY):
            raise CloudError(400, f"status must be one of: {', '.join([*FC.values(), *FC_ONLY])}")
        found = hub_statuses(FC, wanted)
        if not found:
            return web.json_response({"tasks": []})
        statuses = list(found)
    begin = _number(params, "startedTimeBegin", None, 0, 2**53)
    end = _number(params, "startedTimeEnd", None, 0, 2**53)
    query = ListQuery(
        function=name,
        status=statuses[0],
        created_after=None if begin is None else begin / 1000,
        created_before=None if end is None else end / 1000,
        limit=limit + 1,
        cursor=token,
    )
    prefix = params.get("prefix", "")
    include = params.get("includePayload", "false").lower() == "true"
    tasks: list[Invocation] = []
    async for inv in invocations(request, query):
        if task_id_of(inv).startswith(prefix):
            tasks.append(inv)
            if len(tasks) > limit:
                break
    more = len(tasks) > limit
    tasks = tasks[:limit]
    out: dict[str, Any] = {"tasks": [task_view(inv, include_payload=include) for inv in tasks]}
    if more:
        out["nextToken"] = tasks[-1].id
    return web.json_response(out)


def _number(params: Any, name: str, default: int | None, low: int, high: int) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 16 and low <= int(text) <= high):
        raise CloudError(400, f"{name} must be a whole number from {low} to {high}")
    return int(text)


@routes.get(f"{PREFIX}/async-invoke-config")
async def get_async_invoke_config(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    config = function_config(request, name, _UNKNOWN)
    ref = arn("{name}")
    destinations = {
        slot: {"destination": text}
        for slot, dest in (("onSuccess", config.on_success), ("onFailure", config.on_failure))
        if (text := describe_destination(dest, ref)) is not None
    }
    return web.json_response(
        {
            "functionArn": arn(name),
            "maxAsyncRetryAttempts": config.max_retry_attempts,
            "maxAsyncEventAgeInSeconds": int(config.max_event_age),
            "destinationConfig": destinations,
            "asyncTask": True,
        }
    )


CLOUD = CloudRoutes("function compute", r"^/2023-03-30/functions/", ERRORS, routes)
