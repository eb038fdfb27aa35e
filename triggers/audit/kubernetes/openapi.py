"""The webhook's entry for the hub's OpenAPI document (`paths[PATH] = {"post": OPERATION}`),
next to the handler so the two change together."""

from __future__ import annotations

from typing import Any

from hub.intake.inbox import ANSWER_WITHIN
from triggers.audit.kubernetes.webhook import ROUTE

PATH = ROUTE


def _error(description: str, **extra: Any) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Error"}
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


OPERATION: dict[str, Any] = {
    "summary": "Kubernetes audit webhook backend",
    "description": "Takes an audit.k8s.io/v1 EventList from the API server (--audit-webhook-"
    "config-file) for the kubernetes audit trigger named in the path; one invocation per "
    "entry that passes the trigger's filters. Answers 200 only after every entry is durably "
    f"queued, 503 when they were not queued within {ANSWER_WITHIN:g}s (the API server "
    "retries; entries already queued are not queued twice).",
    "operationId": "auditWebhook",
    "parameters": [
        {"name": "trigger", "in": "path", "required": True, "schema": {"type": "string"}}
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "apiVersion", "items"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["EventList"]},
                        "apiVersion": {"type": "string", "enum": ["audit.k8s.io/v1"]},
                        "items": {
                            "type": "array",
                            "description": "Audit events. An entry of another shape is still "
                            "carried, with the extension auditflags=invalid.",
                            "items": {},
                        },
                    },
                }
            }
        },
    },
    "responses": {
        "200": {
            "description": "Every entry is durably queued (or filtered out).",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["entries", "accepted"],
                        "properties": {
                            "entries": {"type": "integer", "description": "Entries received."},
                            "accepted": {"type": "integer", "description": "Entries invoked."},
                        },
                    }
                }
            },
        },
        "400": _error(
            "The body is not JSON or not an audit EventList, or an entry could never be "
            "stored (its data nested more than 128 levels deep, say): nothing of it is queued."
        ),
        "401": _error("Missing or wrong bearer token."),
        "404": _error("No kubernetes audit trigger of that name is configured to run."),
        "413": _error("The body is larger than the configured limit."),
        "503": _error(
            "Not queued in time, or the trigger is paused (`error` says so), starting or "
            "stopped: send it again.",
            headers={"Retry-After": {"schema": {"type": "string"}}},
        ),
    },
}


OPENAPI_PATHS: dict[str, Any] = {PATH: {"post": OPERATION}}
