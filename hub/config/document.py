"""The whole triggers file: `hub:` settings, `functions:` and `triggers:`.

The `triggers` map's value type is built from the registry (`document_model`), a union over
every registered trigger model picked by `type`; `TriggersFile` itself is the static shape."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union, cast
from weakref import WeakKeyDictionary

from pydantic import (
    BeforeValidator,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from hub.config.base import Strict
from hub.config.destinations import FunctionDestination
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings
from hub.config.triggers import Name, TriggerConfig
from hub.plugins.registry import Registry

Path = tuple[str | int, ...]


LISTEN = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[^:\s\[\]]*):(\d{1,5})$")


class ApiSettings(Strict):
    listen: str = Field(
        "127.0.0.1:8080",
        description="HOST:PORT the HTTP API listens on; [::1]:8080 for IPv6.",
        json_schema_extra={"pattern": LISTEN.pattern},
    )
    token_env: str = Field(
        "TRIGGERHUB_API_TOKEN",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable holding the API bearer token.",
    )
    max_body_bytes: int = Field(1024 * 1024, ge=1024, le=256 * 1024 * 1024)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        match = LISTEN.match(value)
        if match is None or not 0 < int(match.group(2)) < 65536:
            raise ValueError(f"{value!r} is not HOST:PORT; write e.g. 127.0.0.1:8080 or [::1]:8080")
        return value


class LogSettings(Strict):
    format: Literal["auto", "json", "console"] = Field(
        "auto", description="`auto`: console on a terminal, JSON lines otherwise."
    )
    level: Literal["debug", "info", "warning", "error"] = "info"


class HubSection(HubSettings):
    api: ApiSettings = Field(default_factory=ApiSettings)
    log: LogSettings = Field(default_factory=LogSettings)


class TriggersFile(Strict):
    hub: HubSection = Field(default_factory=HubSection)
    functions: dict[Name, FunctionConfig] = Field(default_factory=dict)
    triggers: dict[Name, TriggerConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _functions_exist(self) -> TriggersFile:
        """Checked once the structure is valid, so every dangling name is listed at once."""
        missing: list[tuple[Path, str, str]] = [
            (("functions", name, slot), "destination", dest.function)
            for name, config in self.functions.items()
            for slot in ("on_success", "on_failure")
            if isinstance(dest := getattr(config, slot), FunctionDestination)
            and dest.function not in self.functions
        ]
        missing += [
            (("triggers", name, "function", i), "trigger", ref)
            for name, config in self.triggers.items()
            for i, ref in enumerate(config.function)
            if ref not in self.functions
        ]
        _raise_unknown(missing, self.functions)
        return self


def _raise_unknown(missing: Sequence[tuple[Path, str, str]], functions: Mapping[str, Any]) -> None:
    if not missing:
        return
    known = ", ".join(sorted(functions)) or "none are configured"
    raise ValidationError.from_exception_data(
        "references",
        [
            InitErrorDetails(
                type=PydanticCustomError(
                    "unknown_function",
                    "the {by} names function '{name}', which is not configured; "
                    "configured functions: {known}",
                    {"by": by, "name": name, "known": known},
                ),
                loc=loc,
                input=name,
            )
            for loc, by, name in missing
        ],
    )


_models: WeakKeyDictionary[Registry, tuple[int, type[TriggersFile]]] = WeakKeyDictionary()


def document_model(registry: Registry) -> type[TriggersFile]:
    """`TriggersFile` whose trigger values are validated by the registered models."""
    cached = _models.get(registry)
    if cached is None or cached[0] != registry.generation:
        values: Any = _trigger_type(registry)
        model = create_model(
            "TriggersFile",
            __base__=TriggersFile,
            triggers=(dict[Name, values], Field(default_factory=dict)),
        )
        cached = _models[registry] = (registry.generation, cast(type[TriggersFile], model))
    return cached[1]


def _trigger_type(registry: Registry) -> Any:
    models = tuple(kind.config_model for kind in registry.kinds().values())

    def known_type(value: Any) -> Any:
        """Names the known types (the union's own error only lists tags) and points at `type`."""
        if not isinstance(value, dict) or value.get("type") in registry.kinds():
            return value
        if "type" not in value:
            known = ", ".join(sorted(registry.kinds())) or "none registered"
            error = PydanticCustomError(
                "missing_type", "a trigger needs a 'type'; known types: {known}", {"known": known}
            )
        else:
            message = registry.unknown_type_message(value["type"])
            error = PydanticCustomError("unknown_type", "{message}", {"message": message})
        raise ValidationError.from_exception_data(
            "trigger", [InitErrorDetails(type=error, loc=("type",), input=value.get("type"))]
        )

    if not models:
        inner: Any = TriggerConfig
    elif len(models) == 1:
        inner = models[0]
    else:
        inner = Annotated[Union.__getitem__(models), Field(discriminator="type")]
    return Annotated[inner, BeforeValidator(known_type)]
