"""The OpenAPI 3.0 description of the HTTP API, written by hand to say exactly what the server
does; tests/api runs schemathesis against it, so a drift between the two fails the build."""

from __future__ import annotations

from typing import Any

import orjson

from hub.api.ingest import CE_VALUE_PATTERN, IDEMPOTENCY_HEADER, MAX_KEY_LENGTH
from hub.api.listing import DEFAULT_LIMIT, ID_PATTERN, MAX_LIMIT, STATUSES
from hub.api.schedule import DELAY_HEADER, DELAY_PATTERN, NOT_BEFORE_HEADER
from hub.eventcheck import MAX_DATA_DEPTH

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": _REF + name}


def _json(schema: str, description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
        **extra,
    }


def _error(description: str, **extra: Any) -> dict[str, Any]:
    return _json("Error", description, **extra)


_UNAUTHORIZED = _error(
    "Missing or wrong bearer token.",
    headers={"WWW-Authenticate": {"schema": {"type": "string"}}},
)
_NO_INVOCATION = _error("No invocation with that id.")
_ID_PARAM = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": ID_PATTERN},
}


def _nullable(type_: str, **extra: Any) -> dict[str, Any]:
    return {"type": type_, "nullable": True, **extra}


def _header(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema,
    }


# Header values: HTTP strips surrounding whitespace, so a value must not consist of it.
_TEXT = r"^\S(.*\S)?$"
# ASCII, percent-encoding (valid UTF-8) for the rest, as the CloudEvents HTTP binding says.
_CE_STRING: dict[str, Any] = {"type": "string", "pattern": CE_VALUE_PATTERN}
_CE_HEADERS = [
    _header("ce-id", "Binary-mode CloudEvent id (generated when absent).", _CE_STRING),
    _header("ce-source", "Binary-mode CloudEvent source.", _CE_STRING),
    _header("ce-type", "Binary-mode CloudEvent type.", _CE_STRING),
    _header("ce-specversion", "CloudEvents version.", {"type": "string", "enum": ["1.0"]}),
    _header("ce-subject", "Binary-mode CloudEvent subject.", _CE_STRING),
    _header("ce-time", "Binary-mode CloudEvent time.", {"type": "string", "format": "date-time"}),
]
_NOT_BOTH = f"Send either {DELAY_HEADER} or {NOT_BEFORE_HEADER}: both is a 400."

_INVOKE_PARAMS = [
    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
    _header(
        DELAY_HEADER,
        "Start no sooner than this many seconds from now: a plain decimal number from 0 to "
        f"604800 (7 days), like 30 or 0.25. {_NOT_BOTH}",
        {"type": "string", "pattern": DELAY_PATTERN},
    ),
    _header(
        NOT_BEFORE_HEADER,
        f"Start no sooner than this time (RFC 3339, at most 7 days ahead). {_NOT_BOTH}",
        {"type": "string", "format": "date-time"},
    ),
    _header(
        IDEMPOTENCY_HEADER,
        "A second request with the same key for the same function (within the dedup window) "
        "creates nothing and answers 409 with the first invocation's id.",
        {"type": "string", "pattern": _TEXT, "maxLength": MAX_KEY_LENGTH},
    ),
    *_CE_HEADERS,
]

_LIST_PARAMS = [
    {
        "name": "function",
        "in": "query",
        "description": "Text without NUL: no function is named so.",
        "schema": {"type": "string", "pattern": "^[^\\u0000]*$"},
    },
    {"name": "status", "in": "query", "schema": {"type": "string", "enum": STATUSES}},
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    {
        "name": "cursor",
        "in": "query",
        "description": "`next_cursor` of the previous page.",
        "schema": {"type": "string", "pattern": ID_PATTERN},
    },
    {"name": "created_after", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    {"name": "created_before", "in": "query", "schema": {"type": "string", "format": "date-time"}},
]

_CLOUDEVENT_ATTRIBUTES: dict[str, Any] = {
    "specversion": {"type": "string"},
    "id": {"type": "string", "minLength": 1},
    "source": {"type": "string", "minLength": 1},
    "type": {"type": "string", "minLength": 1},
    "subject": {"type": "string"},
    "time": {"type": "string", "format": "date-time"},
    "datacontenttype": {"type": "string"},
    "dataschema": {"type": "string"},
    "data": {},
    "data_base64": {"type": "string", "format": "byte"},
    "idempotencykey": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "orderingkey": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}
# A key is text without NUL or surrounding whitespace.
_KEY = {
    "type": "string",
    "pattern": r"^[^\s\u0000]([^\u0000]*[^\s\u0000])?$",
    "maxLength": MAX_KEY_LENGTH,
    "nullable": True,
}
# What a sender may write; null is an absent attribute (the CloudEvents JSON format).
_CLOUDEVENT_IN_ATTRIBUTES: dict[str, Any] = {
    **_CLOUDEVENT_ATTRIBUTES,
    "specversion": {"type": "string", "enum": ["1.0"]},
    **{
        name: {**_CLOUDEVENT_ATTRIBUTES[name], "nullable": True}
        for name in ("subject", "time", "datacontenttype", "dataschema")
    },
    "idempotencykey": _KEY,
    "orderingkey": _KEY,
}
# The CloudEvents types in JSON: String (also Binary, URI, Timestamp), Integer, Boolean.
_EXTENSION_VALUE = {
    "anyOf": [
        {"type": "string", "nullable": True},
        {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1, "nullable": True},
        {"type": "boolean", "nullable": True},
    ]
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "What is wrong."},
            "id": {"type": "string", "description": "The existing invocation (409 duplicate)."},
            "valid": {"type": "array", "items": {"type": "string"}},
            "limit": {"type": "integer"},
        },
    },
    "Accepted": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "status": {"type": "string", "enum": ["queued"]},
        },
    },
    "CloudEventIn": {
        "type": "object",
        "description": "A structured CloudEvent 1.0; extension attributes are 1-20 lowercase "
        "letters or digits, valued a string, an integer (signed 32-bit) or a boolean. Not "
        f"both data and data_base64; data nests at most {MAX_DATA_DEPTH} levels of objects "
        "and arrays.",
        "required": ["id", "source", "type"],
        "properties": _CLOUDEVENT_IN_ATTRIBUTES,
        "patternProperties": {"^[a-z0-9]{1,20}$": _EXTENSION_VALUE},
        "additionalProperties": False,
        "not": {"required": ["data", "data_base64"]},
    },
    "CloudEvent": {
        "type": "object",
        "required": ["specversion", "id", "source", "type"],
        "properties": _CLOUDEVENT_ATTRIBUTES,
        "additionalProperties": True,
    },
    "Transition": {
        "type": "object",
        "required": ["status", "at", "detail"],
        "properties": {
            "status": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "detail": _nullable("string"),
        },
    },
    "Invocation": {
        "type": "object",
        "required": [
            "id",
            "function",
            "status",
            "idempotency_key",
            "attempts",
            "approximate_invoke_count",
            "created_at",
            "not_before",
            "deadline",
            "started_at",
            "finished_at",
            "condition",
            "last_error",
            "response",
            "destination_error",
            "event",
            "history",
        ],
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN},
            "function": {"type": "string"},
            "status": {"type": "string", "enum": STATUSES},
            "idempotency_key": _nullable("string"),
            "attempts": {"type": "integer", "minimum": 0},
            "approximate_invoke_count": {"type": "integer", "minimum": 0},
            "created_at": {"type": "string", "format": "date-time"},
            "not_before": {"type": "string", "format": "date-time"},
            "deadline": {"type": "string", "format": "date-time"},
            "started_at": _nullable("string", format="date-time"),
            "finished_at": _nullable("string", format="date-time"),
            "condition": _nullable(
                "string",
                description="Success, RetriesExhausted, EventAgeExceeded, NonRetryableError "
                "or Stopped once final.",
            ),
            "last_error": _nullable("string"),
            "response": {"description": "What the function returned (JSON), possibly cut."},
            "destination_error": _nullable("string"),
            "event": _ref("CloudEvent"),
            "history": {
                "type": "array",
                "description": "Status transitions; empty in list results.",
                "items": _ref("Transition"),
            },
        },
    },
    "InvocationPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": _ref("Invocation")},
            "next_cursor": _nullable("string", pattern=ID_PATTERN),
        },
    },
    "FunctionList": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "description": "The function's settings; header and environment values "
                    "and URL passwords read ***.",
                    "required": ["name", "target"],
                    "properties": {"name": {"type": "string"}, "target": {"type": "object"}},
                },
            }
        },
    },
    "Status": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}},
    },
}

_INVOCATION_LINKS = {
    name: {"operationId": operation, "parameters": {"id": "$response.body#/id"}}
    for name, operation in (
        ("GetInvocation", "getInvocation"),
        ("StopInvocation", "stopInvocation"),
        ("RedriveInvocation", "redriveInvocation"),
    )
}

_INVOKE = {
    "summary": "Invoke a function asynchronously",
    "description": "The body is the event data: JSON for application/json (and +json types), "
    "bytes for any other type; application/cloudevents+json is a structured CloudEvent and "
    "ce-* headers make a binary-mode one. Answers only after the invocation is durably stored.",
    "operationId": "invoke",
    "parameters": _INVOKE_PARAMS,
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": {}},
            "application/cloudevents+json": {"schema": _ref("CloudEventIn")},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    },
    "responses": {
        "202": _json(
            "Accepted",
            "Durably queued.",
            headers={
                "Location": {"description": "The invocation's URL.", "schema": {"type": "string"}}
            },
            links=_INVOCATION_LINKS,
        ),
        "400": _error(
            "Invalid JSON, CloudEvent or header, both deferral headers, a not-before time "
            f"more than 7 days ahead, or data nested more than {MAX_DATA_DEPTH} levels deep; "
            "the message names it."
        ),
        "401": _UNAUTHORIZED,
        "404": _error("No function with that name."),
        "409": _error(
            "Duplicate idempotency key; `id` is the existing invocation.",
            headers={"Location": {"schema": {"type": "string"}}},
        ),
        "413": _error("The body is larger than the configured limit."),
        "415": _error("Batched CloudEvents are not accepted."),
        "503": _error(
            "The store is unavailable; nothing was accepted.",
            headers={"Retry-After": {"schema": {"type": "integer"}}},
        ),
        "507": _error(
            "The store is out of disk space; nothing was accepted. `reason` says what failed.",
            headers={"Retry-After": {"schema": {"type": "integer"}}},
        ),
    },
}


def _manage(summary: str, operation_id: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "operationId": operation_id,
        "parameters": [_ID_PARAM],
        "responses": {
            "200": _json("Invocation", "The updated invocation."),
            "401": _UNAUTHORIZED,
            "404": _NO_INVOCATION,
            "409": _error("The invocation's status does not allow it."),
        },
    }


def _probe(summary: str, operation_id: str, not_ready: bool) -> dict[str, Any]:
    responses = {"200": _json("Status", "Serving.")}
    if not_ready:
        responses["503"] = _error("Not ready to take work, or the store cannot write.")
    return {"summary": summary, "operationId": operation_id, "security": [], "responses": responses}


_DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "triggerhub",
        "version": "1",
        "description": "Durable asynchronous invocations of functions.",
    },
    "security": [{"bearerAuth": []}],
    "paths": {
        "/v1/functions/{name}/invocations": {"post": _INVOKE},
        "/v1/invocations": {
            "get": {
                "summary": "List invocations, newest first",
                "operationId": "listInvocations",
                "parameters": _LIST_PARAMS,
                "responses": {
                    "200": _json("InvocationPage", "A page of invocations."),
                    "400": _error("A bad filter; for status, `valid` lists the statuses."),
                    "401": _UNAUTHORIZED,
                },
            }
        },
        "/v1/invocations/{id}": {
            "get": {
                "summary": "Get an invocation",
                "operationId": "getInvocation",
                "parameters": [_ID_PARAM],
                "responses": {
                    "200": _json("Invocation", "The invocation with its history."),
                    "401": _UNAUTHORIZED,
                    "404": _NO_INVOCATION,
                },
            }
        },
        "/v1/invocations/{id}/stop": {
            "post": _manage("Stop an active invocation", "stopInvocation")
        },
        "/v1/invocations/{id}/redrive": {
            "post": _manage(
                "Queue a failed, expired or stopped invocation again", "redriveInvocation"
            )
        },
        "/v1/hooks/{kind}/{trigger}": {
            "post": {
                "summary": "Receive pushed events for a webhook trigger",
                "description": "Object-storage notifications (Records[]) or a Kubernetes "
                "audit EventList, per the trigger's kind; handed to the running trigger's intake "
                "and answered after the durable commit.",
                "operationId": "receiveWebhook",
                "parameters": [
                    {"name": "kind", "in": "path", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "trigger",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {}}},
                },
                "responses": {
                    "200": {
                        "description": "Accepted and durably queued.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["received", "filtered", "invocations"],
                                    "properties": {
                                        "received": {"type": "integer"},
                                        "filtered": {"type": "integer"},
                                        "invocations": {
                                            "type": "array",
                                            "items": {"type": "string"},
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "400": _error(
                        "The body is not a notification of this kind, or one of its events "
                        "could never be stored (data nested more than "
                        f"{MAX_DATA_DEPTH} levels deep, say); nothing of it is queued."
                    ),
                    "401": _UNAUTHORIZED,
                    "404": _error("No such webhook kind, or no running trigger of it."),
                    "413": _error("The body is larger than the limit."),
                    "503": _error(
                        "Not queued in time (the trigger is held back by a full backlog, say), "
                        "or the trigger stopped: send it again."
                    ),
                },
            }
        },
        "/v1/functions": {
            "get": {
                "summary": "List the configured functions",
                "operationId": "listFunctions",
                "responses": {
                    "200": _json("FunctionList", "Functions by name."),
                    "401": _UNAUTHORIZED,
                },
            }
        },
        "/v1/triggers": {
            "get": {
                "summary": "Status of each trigger",
                "operationId": "listTriggers",
                "responses": {
                    "200": {
                        "description": "Trigger name to its status.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "401": _UNAUTHORIZED,
                },
            }
        },
        "/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.0 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "401": _UNAUTHORIZED,
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "operationId": "metrics",
                "responses": {
                    "200": {
                        "description": "Prometheus text exposition format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "401": _UNAUTHORIZED,
                },
            }
        },
        "/healthz": {"get": _probe("Liveness: the process serves", "healthz", False)},
        "/readyz": {"get": _probe("Readiness: the hub takes work", "readyz", True)},
    },
    "components": {
        "schemas": _SCHEMAS,
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    },
}


def openapi_document(*, auth: bool, extra_paths: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document for a server with (`auth`) or without a bearer token configured, plus
    the paths that plugins add."""
    document = (
        _DOCUMENT if auth else {**_DOCUMENT, "security": [], "components": {"schemas": _SCHEMAS}}
    )
    if extra_paths:
        document = {**document, "paths": {**extra_paths, **document["paths"]}}
    return document


def openapi_json(*, auth: bool, extra_paths: dict[str, Any] | None = None) -> bytes:
    return orjson.dumps(openapi_document(auth=auth, extra_paths=extra_paths))
