"""The API's route table as the OpenAPI document states it: for each route, its parameters
(models of hub/api/parameters.py), its body and its answers (models of hub/api/models.py).
Answers every route of a kind gives are added from what the route does
(hub.api.operation_model); tests/api checks that this table and the served routes are the same
set."""

from __future__ import annotations

from pydantic import BaseModel

from hub.api import control_models, models, parameters
from hub.api.batch import MAX_BATCH_EVENTS
from hub.api.operation_model import RETRY_AFTER, Answer, Operation
from hub.eventcheck import MAX_DATA_DEPTH

_INVOCATION_LINKS = {
    name: {"operationId": operation, "parameters": {"id": "$response.body#/id"}}
    for name, operation in (
        ("GetInvocation", "getInvocation"),
        ("StopInvocation", "stopInvocation"),
        ("RedriveInvocation", "redriveInvocation"),
    )
}
_NO_INVOCATION = Answer("No invocation with that id.")


def _manage(path: str, summary: str, operation_id: str) -> Operation:
    return Operation(
        "post",
        path,
        operation_id,
        summary,
        parameters=((parameters.InvocationPath, "path"),),
        changes=True,
        answers={
            200: Answer("The updated invocation.", models.Invocation),
            404: _NO_INVOCATION,
            409: Answer("The invocation's status does not allow it."),
        },
    )


def _bulk(action: str, statuses: str, body: type[BaseModel]) -> Operation:
    return Operation(
        "post",
        f"/v1/invocations/{action}",
        f"{action}Invocations",
        f"{action.capitalize()} every invocation a filter selects",
        description=f"Acts on {statuses} invocations matching every given field, newest "
        "first, in batches of bounded size, each committed durably; the same as the "
        "single-invocation route for each. An invocation that changed meanwhile is skipped. "
        "With dry_run, only counts.",
        body={"application/json": body},
        changes=True,
        answers={
            200: Answer("How many matched and how many changed.", control_models.BulkResult),
            400: Answer("A bad filter; the message names the field."),
        },
    )


def _pause(kind: str, path_model: type[BaseModel], action: str, what: str) -> Operation:
    return Operation(
        "post",
        f"/v1/{kind}s/{{name}}/{action}",
        f"{action}{kind.capitalize()}",
        f"{action.capitalize()} a {kind}",
        description=what,
        parameters=((path_model, "path"),),
        changes=True,
        answers={
            200: Answer(
                f"The {kind}'s pause state (the same when it already was).",
                control_models.PauseState,
            ),
            404: Answer(f"No {kind} with that name."),
        },
    )


_PAUSE_FUNCTION = (
    "Its invocations are still accepted and kept; none is started (on any daemon) until it "
    "is resumed. Running attempts finish. Stored: survives a restart and a reload."
)
_PAUSE_TRIGGER = (
    "It stops reading its source and keeps its position; resumed, it reads on from there. "
    "Stored: survives a restart and a reload."
)


def _probe(path: str, summary: str, operation_id: str, not_ready: bool) -> Operation:
    answers = {200: Answer("Serving.", models.Status)}
    if not_ready:
        answers[503] = Answer(
            "Not ready to take work, or the store cannot write; Retry-After while draining.",
            headers=RETRY_AFTER,
        )
    return Operation("get", path, operation_id, summary, answers, public=True, uses_store=False)


OPERATIONS = [
    Operation(
        "post",
        "/v1/functions/{name}/invocations",
        "invoke",
        "Invoke a function asynchronously",
        description="The body is the event data: JSON for application/json (and +json "
        "types), bytes for any other type; application/cloudevents+json is a structured "
        "CloudEvent and ce-* headers make a binary-mode one. "
        "application/cloudevents-batch+json is an array of at most "
        f"{MAX_BATCH_EVENTS} structured CloudEvents queued in one commit, whole or not at "
        "all; each event is answered in its place. Answers only after the invocations are "
        "durably stored.",
        parameters=((parameters.FunctionPath, "path"), (parameters.InvokeHeaders, "header")),
        body={
            "application/json": {},
            "application/cloudevents+json": models.CloudEventIn,
            "application/cloudevents-batch+json": models.CloudEventBatchIn,
            "application/octet-stream": {"type": "string", "format": "binary"},
            "text/plain": {"type": "string"},
        },
        body_required=False,
        changes=True,
        answers={
            202: Answer(
                "Durably queued: the invocation, or for a batch one item per event.",
                (models.Accepted, models.BatchReceipt),
                headers={
                    "Location": {
                        "description": "The invocation's URL (not for a batch).",
                        "schema": {"type": "string"},
                    }
                },
                links=_INVOCATION_LINKS,
            ),
            400: Answer(
                "Invalid JSON, CloudEvent or header, both deferral headers, a not-before time "
                f"more than 7 days ahead, or data nested more than {MAX_DATA_DEPTH} levels "
                "deep; the message names it. For a batch, `invalid` names each invalid event "
                "and nothing of the batch was queued."
            ),
            404: Answer("No function with that name."),
            413: Answer(
                "The body is larger than hub.api.max_body_bytes, or a batch has more than "
                f"{MAX_BATCH_EVENTS} events (`limit`)."
            ),
            409: Answer(
                "Duplicate idempotency key; `id` is the existing invocation.",
                headers={"Location": {"schema": {"type": "string"}}},
            ),
        },
    ),
    Operation(
        "get",
        "/v1/invocations",
        "listInvocations",
        "List invocations, newest first",
        parameters=((parameters.ListQuery, "query"),),
        answers={
            200: Answer("A page of invocations.", models.InvocationPage),
            400: Answer("A bad filter; for status, `valid` lists the statuses."),
        },
    ),
    Operation(
        "get",
        "/v1/invocations/{id}",
        "getInvocation",
        "Get an invocation",
        parameters=((parameters.InvocationPath, "path"),),
        answers={
            200: Answer("The invocation with its history.", models.Invocation),
            404: _NO_INVOCATION,
        },
    ),
    _manage("/v1/invocations/{id}/stop", "Stop an active invocation", "stopInvocation"),
    _manage(
        "/v1/invocations/{id}/redrive",
        "Queue a failed, expired or stopped invocation again",
        "redriveInvocation",
    ),
    _bulk("stop", "queued, running or retrying", control_models.StopFilter),
    _bulk("redrive", "failed, expired or stopped", control_models.RedriveFilter),
    _pause("function", parameters.FunctionPath, "pause", _PAUSE_FUNCTION),
    _pause("function", parameters.FunctionPath, "resume", "Start its kept invocations again."),
    _pause("trigger", parameters.TriggerPath, "pause", _PAUSE_TRIGGER),
    _pause("trigger", parameters.TriggerPath, "resume", "Read on from the kept position."),
    Operation(
        "post",
        "/v1/hooks/{kind}/{trigger}",
        "receiveWebhook",
        "Receive pushed events for a webhook trigger",
        description="Object-storage notifications (Records[]) or a Kubernetes audit "
        "EventList, per the trigger's kind; handed to the running trigger's intake and "
        "answered after the durable commit.",
        parameters=((parameters.WebhookPath, "path"),),
        body={"application/json": {}},
        changes=True,
        answers={
            200: Answer("Accepted and durably queued.", models.WebhookReceipt),
            400: Answer(
                "The body is not a notification of this kind, or one of its events could "
                f"never be stored (data nested more than {MAX_DATA_DEPTH} levels deep, say); "
                "nothing of it is queued."
            ),
            404: Answer("No such webhook kind, or no trigger of it configured to run."),
            503: Answer(
                "Not queued in time (the trigger is held back by a full backlog, say), the "
                "trigger is paused (`error` says so), starting or stopped, the daemon is "
                "draining or the store is unavailable: send it again after Retry-After.",
                headers=RETRY_AFTER,
            ),
        },
    ),
    Operation(
        "get",
        "/v1/functions",
        "listFunctions",
        "List the configured functions",
        {200: Answer("Functions by name.", models.FunctionList)},
        uses_store=False,
    ),
    Operation(
        "get",
        "/v1/triggers",
        "listTriggers",
        "Status of each trigger",
        {200: Answer("Trigger name to its status.", {"type": "object"})},
        uses_store=False,
    ),
    Operation(
        "get",
        "/v1/openapi.json",
        "openapi",
        "This document",
        {200: Answer("OpenAPI 3.0 document.", {"type": "object"})},
        uses_store=False,
    ),
    Operation(
        "get",
        "/metrics",
        "metrics",
        "Prometheus metrics",
        {200: Answer("Prometheus text exposition format.", {"type": "string"}, "text/plain")},
        uses_store=False,
    ),
    _probe("/healthz", "Liveness: the process serves", "healthz", False),
    _probe("/readyz", "Readiness: the hub takes work", "readyz", True),
]
