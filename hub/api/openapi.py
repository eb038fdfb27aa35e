"""The OpenAPI 3.0 description of the HTTP API, generated: schemas from the models of the
bodies and answers (hub/api/models.py), parameters from hub/api/parameters.py and paths from
the route table (hub/api/operations.py). tests/api runs schemathesis against it, so a drift
between it and the server fails the build."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from hub.api.control_models import CONTROL_SCHEMAS
from hub.api.models import SCHEMAS
from hub.api.operation_model import Answer, Operation, Schema, common_answers
from hub.api.operations import OPERATIONS

_REF = "#/components/schemas/{model}"
# Keys whose values map names to schemas: their keys are names, never keywords.
_NAMED = frozenset({"properties", "patternProperties", "$defs"})


def to_openapi30(schema: Any) -> Any:
    """JSON Schema as pydantic writes it, in OpenAPI 3.0's dialect: no titles or null
    defaults, `const` as a one-value enum, `anyOf [X, null]` as X with `nullable`."""
    if isinstance(schema, list):
        return [to_openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _NAMED:
            out[key] = {name: to_openapi30(sub) for name, sub in value.items()}
        elif key == "title" or (key == "default" and value is None):
            continue
        elif key == "const":
            out["enum"] = [value]
        else:
            out[key] = to_openapi30(value)
    variants = out.get("anyOf")
    if variants and {"type": "null"} in variants:
        rest = [v for v in variants if v != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1:
            return {**rest[0], **out, "nullable": True}
        out["anyOf"] = [{**v, "nullable": True} for v in rest]
    return out


def _components() -> dict[str, Any]:
    _, top = models_json_schema(
        [(m, "validation") for m in [*SCHEMAS, *CONTROL_SCHEMAS]], ref_template=_REF
    )
    schemas: dict[str, Any] = to_openapi30(top["$defs"])
    return schemas


def _schema(schema: Schema) -> dict[str, Any]:
    if isinstance(schema, dict):
        return schema
    if isinstance(schema, tuple):
        return {"oneOf": [_schema(model) for model in schema]}
    return {"$ref": _REF.format(model=schema.__name__)}


def _parameters(model: type[BaseModel], where: str) -> list[dict[str, Any]]:
    schema = to_openapi30(model.model_json_schema(ref_template=_REF))
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema["properties"].items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
        }
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        out.append({**parameter, "schema": prop})
    return out


def _answer(answer: Answer) -> dict[str, Any]:
    out: dict[str, Any] = {"description": answer.description}
    if answer.body is not None:
        out["content"] = {answer.media: {"schema": _schema(answer.body)}}
    if answer.headers:
        out["headers"] = answer.headers
    if answer.links:
        out["links"] = answer.links
    return out


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary}
    if op.description is not None:
        out["description"] = op.description
    out["operationId"] = op.operation_id
    if op.public:
        out["security"] = []
    if op.parameters:
        out["parameters"] = [p for model, where in op.parameters for p in _parameters(model, where)]
    if op.body is not None:
        out["requestBody"] = {
            "required": op.body_required,
            "content": {media: {"schema": _schema(s)} for media, s in op.body.items()},
        }
    answers = sorted(op.all_answers().items())
    out["responses"] = {str(code): _answer(answer) for code, answer in answers}
    return out


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return paths


_DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "triggerhub",
        "version": "1",
        "description": "Durable asynchronous invocations of functions.",
    },
    "security": [{"bearerAuth": []}],
    "paths": _paths(),
    "components": {
        "schemas": _components(),
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    },
}


def openapi_document(*, auth: bool, extra_paths: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document for a server with (`auth`) or without a bearer token configured, plus
    the paths that plugins add."""
    document = _DOCUMENT
    if not auth:
        schemas = _DOCUMENT["components"]["schemas"]
        document = {**_DOCUMENT, "security": [], "components": {"schemas": schemas}}
    if extra_paths:
        plugin_paths = {path: _completed(item) for path, item in extra_paths.items()}
        document = {**document, "paths": {**plugin_paths, **document["paths"]}}
    return document


def _completed(path_item: dict[str, Any]) -> dict[str, Any]:
    """A plugin's path with the answers the API's middleware and body reader give it too
    (the plugin's own descriptions win)."""
    out = {}
    for method, operation in path_item.items():
        common = common_answers(
            public=operation.get("security") == [],
            reads_body="requestBody" in operation,
            changes=method not in ("get", "head", "options"),
            uses_store=True,
        )
        responses = {str(code): _answer(answer) for code, answer in common.items()}
        out[method] = {**operation, "responses": {**responses, **operation["responses"]}}
    return out


def openapi_json(*, auth: bool, extra_paths: dict[str, Any] | None = None) -> bytes:
    return orjson.dumps(openapi_document(auth=auth, extra_paths=extra_paths))
