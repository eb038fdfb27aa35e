"""Config values whose model a registry picks by `type` (a trigger, a destination, a target).

`registered_union` is the static shape of a file: a discriminated union over the registered
models, for the document model and its JSON schema (hub/config/document.py). `by_registry`
validates a value against whatever is registered when it is validated, for models built in
code (a `FunctionConfig` written in Python). Both name the known types when `type` is missing
or unknown, at the `type` key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Union

from pydantic import BaseModel, BeforeValidator, Field, TypeAdapter, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from hub.kinds import KindRegistry, registry_of

Registry = KindRegistry[Any]


def registered_union(registry: Registry, base: type[BaseModel] | None = None) -> Any:
    models = tuple(kind.config_model for kind in registry.kinds().values())
    if not models:
        inner: Any = base if base is not None else Any
    elif len(models) == 1:
        inner = models[0]
    else:
        inner = Annotated[Union.__getitem__(models), Field(discriminator="type")]
    return Annotated[inner, BeforeValidator(_known_type(registry))]


def by_registry(label: str) -> Callable[[Any], Any]:
    """A plain validator over the union of the process-wide registry of `label`, rebuilt when
    a kind registers."""
    adapters: dict[int, tuple[int, TypeAdapter[Any]]] = {}

    def validate(value: Any) -> Any:
        kinds = registry_of(label)
        cached = adapters.get(id(kinds))
        if cached is None or cached[0] != kinds.generation:
            cached = adapters[id(kinds)] = (kinds.generation, TypeAdapter(registered_union(kinds)))
        return cached[1].validate_python(value)

    return validate


def _known_type(registry: Registry) -> Callable[[Any], Any]:
    def known_type(value: Any) -> Any:
        """Names the known types (the union's own error only lists tags) and points at `type`."""
        if not isinstance(value, dict) or value.get("type") in registry.kinds():
            return value
        if "type" not in value:
            known = ", ".join(sorted(registry.kinds())) or "none registered"
            error = PydanticCustomError(
                "missing_type",
                "a {label} needs a 'type'; known types: {known}",
                {"label": registry.label, "known": known},
            )
        else:
            message = registry.unknown_type_message(value["type"])
            error = PydanticCustomError("unknown_type", "{message}", {"message": message})
        raise ValidationError.from_exception_data(
            registry.label, [InitErrorDetails(type=error, loc=("type",), input=value.get("type"))]
        )

    return known_type
