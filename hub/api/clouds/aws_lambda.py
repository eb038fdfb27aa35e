"""AWS Lambda: Invoke (Event, DryRun, RequestResponse) and the event-invoke configuration, as
boto3 and the other AWS SDKs call them (`endpoint_url` pointed at the hub)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from aiohttp import web

from hub.api.clouds.errors import CloudError, ErrorShape
from hub.api.clouds.gate import CloudRoutes, cloud_body, request_id
from hub.api.clouds.names import lambda_function
from hub.api.clouds.outcome import describe_destination, wait_for_outcome
from hub.api.clouds.submit import CloudCall, function_config, submit
from hub.api.ingest import idempotency_key
from hub.api.schedule import parse_schedule
from hub.config.functions import FunctionConfig

routes = web.RouteTableDef()
ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"
EVENT_TYPE = "triggerhub.lambda.invoke"
# The extension attribute carrying X-Amz-Client-Context (decoded from base64) to the function.
CLIENT_CONTEXT_ATTR = "clientcontext"
_UNKNOWN = "ResourceNotFoundException"
_INVALID = "InvalidParameterValueException"


def _error(status: int, code: str, message: str, rid: str) -> web.Response:
    # botocore reads the code from x-amzn-ErrorType and the message from the body.
    return web.json_response(
        {"Type": "User" if status < 500 else "Service", "Message": message, "message": message},
        status=status,
        headers={"x-amzn-ErrorType": code, "x-amzn-RequestId": rid},
    )


ERRORS = ErrorShape(
    _error,
    {
        400: _INVALID,
        401: "UnrecognizedClientException",
        403: "AccessDeniedException",
        404: _UNKNOWN,
        408: "RequestTimeoutException",
        409: "ResourceConflictException",
        413: "RequestTooLargeException",
        415: "UnsupportedMediaTypeException",
        "signature": "InvalidSignatureException",
        "access_key": "UnrecognizedClientException",
        "expired": "InvalidSignatureException",
        "internal": "ServiceException",
    },
    "ServiceException",
)


def _arn(request: web.Request, name: str) -> str:
    return _arn_format(request).format(name=name)


def _arn_format(request: web.Request) -> str:
    # The region the caller signed for, so the ARNs look like the ones it would get from AWS.
    credential = request.headers.get("Authorization", "").partition("Credential=")[2]
    scope = credential.split(",", 1)[0].split("/")
    region = scope[2] if len(scope) == 5 else DEFAULT_REGION
    return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{{name}}"


@routes.post("/2015-03-31/functions/{name}/invocations")
async def invoke(request: web.Request) -> web.StreamResponse:
    name = lambda_function(request.match_info["name"])
    config = function_config(request, name, _UNKNOWN)
    kind = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
    if kind not in ("Event", "RequestResponse", "DryRun"):
        raise CloudError(400, "X-Amz-Invocation-Type must be Event, RequestResponse or DryRun")
    schedule = parse_schedule(request.headers)
    if kind == "RequestResponse" and (schedule.delay or schedule.not_before):
        raise CloudError(400, "a deferred start needs InvocationType Event")
    body = await cloud_body(request)
    call = CloudCall(
        function=name,
        event_type=EVENT_TYPE,
        source=f"/2015-03-31/functions/{name}",
        data=_payload(body),
        datacontenttype="application/json",
        idempotency_key=idempotency_key(request.headers),
        delay=schedule.delay,
        not_before=schedule.not_before,
        extensions=_client_context(request),
    )
    if kind == "DryRun":
        return web.Response(status=204, headers={"x-amzn-RequestId": request_id()})
    submitted = await submit(request, call)
    headers = {"x-amzn-RequestId": submitted.id, "X-Amz-Executed-Version": "$LATEST"}
    if kind == "Event":
        # Answered only now, after the durable commit, as for the hub's own invoke.
        return web.Response(status=202, headers=headers)
    outcome = await wait_for_outcome(request, submitted.id, config.timeout)
    inv = outcome.invocation
    if inv is None:
        error = {
            "errorType": "TimeoutError",
            "errorMessage": f"invocation {submitted.id} did not finish within the function's "
            f"timeout of {config.timeout:g}s; it stays queued (GET /v1/invocations/{submitted.id})",
        }
    elif outcome.succeeded:
        return web.Response(status=200, body=orjson.dumps(inv.response), headers=headers)
    else:
        error = {
            "errorType": inv.condition or str(inv.status),
            "errorMessage": inv.last_error or f"invocation {inv.id} is {inv.status}",
        }
    headers["X-Amz-Function-Error"] = "Unhandled"
    return web.Response(status=200, body=orjson.dumps(error), headers=headers)


def _payload(body: bytes) -> Any:
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise CloudError(
            400, f"could not parse the payload as JSON: {exc}", "InvalidRequestContentException"
        ) from None


def _client_context(request: web.Request) -> dict[str, Any]:
    raw = request.headers.get("X-Amz-Client-Context")
    if raw is None:
        return {}
    try:
        text = base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise CloudError(
            400,
            "X-Amz-Client-Context must be base64 of UTF-8 text",
            "InvalidRequestContentException",
        ) from None
    return {CLIENT_CONTEXT_ATTR: text}


@routes.get("/2019-09-25/functions/{name}/event-invoke-config")
async def get_event_invoke_config(request: web.Request) -> web.Response:
    name = lambda_function(request.match_info["name"])
    return web.json_response(
        _invoke_config(request, name, function_config(request, name, _UNKNOWN))
    )


@routes.get("/2019-09-25/functions/{name}/event-invoke-config/list")
async def list_event_invoke_configs(request: web.Request) -> web.Response:
    name = lambda_function(request.match_info["name"])
    config = _invoke_config(request, name, function_config(request, name, _UNKNOWN))
    return web.json_response({"FunctionEventInvokeConfigs": [config]})


def _invoke_config(request: web.Request, name: str, config: FunctionConfig) -> dict[str, Any]:
    arn = _arn_format(request)
    destinations = {
        slot: {"Destination": text}
        for slot, dest in (("OnSuccess", config.on_success), ("OnFailure", config.on_failure))
        if (text := describe_destination(dest, arn)) is not None
    }
    return {
        "FunctionArn": _arn(request, name),
        "MaximumRetryAttempts": config.max_retry_attempts,
        "MaximumEventAgeInSeconds": int(config.max_event_age),
        "DestinationConfig": destinations,
    }


CLOUD = CloudRoutes("lambda", r"^/(2015-03-31|2019-09-25)/functions/", ERRORS, routes)
