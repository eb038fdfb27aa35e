"""`triggerhub schema`: the JSON Schema of the triggers file, generated from the same models
that validate it (trigger values are a union over every registered kind), for editors'
completion and for checking a file without the daemon."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from hub.config.destinations import destination_shorthand
from hub.config.document import document_model
from hub.config.durations import DURATION_PATTERN, parse_duration
from hub.config.patterns import HTTP_SCHEME
from hub.plugins.registry import Registry, default_registry

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Values that validators rewrite before checking: the schema must accept the written form too.
_WRITTEN_FORMS: dict[Any, JsonSchemaValue] = {
    parse_duration: {"type": "string", "pattern": DURATION_PATTERN},
    destination_shorthand: {"type": "string", "pattern": rf"^({HTTP_SCHEME}|function:.+|file:.+)"},
}


class _Generator(GenerateJsonSchema):
    def function_before_schema(
        self, schema: core_schema.BeforeValidatorFunctionSchema
    ) -> JsonSchemaValue:
        inner = super().function_before_schema(schema)
        written = _WRITTEN_FORMS.get(schema["function"].get("function"))
        return inner if written is None else {"anyOf": [inner, written]}

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        # Maps keyed by a name pattern (functions, triggers): other keys are errors, as in
        # validation, so an editor flags `Resize:` as well.
        out = super().dict_schema(schema)
        if "patternProperties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out


def json_schema(registry: Registry | None = None) -> dict[str, Any]:
    model = document_model(registry or default_registry())
    schema = model.model_json_schema(schema_generator=_Generator)
    schema["patternProperties"] = {"^x-": {"description": "Ignored: a place for YAML anchors."}}
    return {"$schema": DIALECT, **schema, "title": "triggerhub triggers file"}
