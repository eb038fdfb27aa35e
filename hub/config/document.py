"""The whole triggers file: `hub:` settings, `functions:` and `triggers:`.

The `triggers` map's value type is built from the registry (`document_model`), a union over
every registered trigger model picked by `type`, and so are a function's target and
destinations (from the target and destination registries); `TriggersFile` itself is the
static shape."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, cast
from weakref import WeakKeyDictionary

from pydantic import BeforeValidator, Field, PrivateAttr, create_model, field_validator

from hub.api_defaults import (
    BODY_TIMEOUT,
    DEFAULT_LISTEN,
    DEFAULT_TOKEN_ENV,
    HEADER_TIMEOUT,
    MAX_CONNECTIONS,
)
from hub.config.base import Strict
from hub.config.destinations import destination_shorthand
from hub.config.durations import Duration
from hub.config.functions import FunctionConfig
from hub.config.kind_unions import registered_union
from hub.config.patterns import ENV_VAR_NAME_PATTERN
from hub.config.settings import HubSettings
from hub.config.triggers import Name, TriggerConfig
from hub.kinds import KindRegistry, registry_of
from hub.plugins.registry import Registry

Path = tuple[str | int, ...]


LISTEN = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[^:\s\[\]]*):(\d{1,5})$")


class AccessKeySettings(Strict):
    """A key pair the clouds' SDKs sign requests with (hub/api/clouds)."""

    id: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_\-.]+$",
        description="The access key id the SDK is given (AWS access key id, Alibaba "
        "AccessKey ID, Huawei AK).",
    )
    secret_env: str = Field(
        pattern=ENV_VAR_NAME_PATTERN,
        description="Environment variable holding the key's secret; the secret itself is never "
        "written in the file.",
    )


class ApiSettings(Strict):
    listen: str = Field(
        DEFAULT_LISTEN,
        description="HOST:PORT the HTTP API listens on; [::1]:8080 for IPv6.",
        json_schema_extra={"pattern": LISTEN.pattern},
    )
    token_env: str = Field(
        DEFAULT_TOKEN_ENV,
        pattern=ENV_VAR_NAME_PATTERN,
        description="Environment variable holding the API bearer token.",
    )
    max_body_bytes: int = Field(1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    header_timeout: Duration = Field(
        HEADER_TIMEOUT,
        gt=0,
        le=3600,
        description="Time a client has to send a request's headers, from connecting or from "
        "the previous response; a connection that takes longer is closed.",
    )
    body_timeout: Duration = Field(
        BODY_TIMEOUT,
        gt=0,
        le=3600,
        description="Time a client has to send a request's whole body; slower ones get 408.",
    )
    max_connections: int = Field(
        MAX_CONNECTIONS,
        ge=16,
        le=1_000_000,
        description="Open API connections at most (lowered to fit the open-files limit); past "
        "it the longest idle connection is closed to make room.",
    )

    access_keys: list[AccessKeySettings] = Field(
        default_factory=list,
        description="Key pairs that requests signed by the AWS, Alibaba Cloud and Huawei Cloud "
        "SDKs are verified against (Lambda, Function Compute and FunctionGraph routes).",
    )

    @field_validator("access_keys")
    @classmethod
    def _distinct_ids(cls, value: list[AccessKeySettings]) -> list[AccessKeySettings]:
        ids = [key.id for key in value]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"access key id {twice[0]!r} is listed more than once")
        return value

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        match = LISTEN.match(value)
        if match is None or not 0 < int(match.group(2)) < 65536:
            raise ValueError(f"{value!r} is not HOST:PORT; write e.g. 127.0.0.1:8080 or [::1]:8080")
        return value


class OutcomeLogSettings(Strict):
    """The line logged for each invocation outcome (see hub/outcomes.py)."""

    success: Literal["info", "debug", "off"] = Field(
        "info",
        description="Level of the line for a succeeded invocation; `off` writes none. Retries, "
        "failures, expiries, stops and dead-letters are always logged.",
    )
    success_sample: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="Fraction of succeeded invocations that get their line, chosen at random "
        "(0.01: one in a hundred).",
    )


class LogSettings(Strict):
    format: Literal["auto", "json", "console"] = Field(
        "auto", description="`auto`: console on a terminal, JSON lines otherwise."
    )
    level: Literal["debug", "info", "warning", "error"] = "info"
    outcomes: OutcomeLogSettings = Field(default_factory=OutcomeLogSettings)


class HubSection(HubSettings):
    api: ApiSettings = Field(default_factory=ApiSettings)
    log: LogSettings = Field(default_factory=LogSettings)


class TriggersFile(Strict):
    """The file's shape. The function names that triggers and destinations refer to are
    checked by the loader (references.py) on the plain data, so that they are reported even
    when other parts of the file are invalid."""

    hub: HubSection = Field(default_factory=HubSection)
    functions: dict[Name, FunctionConfig] = Field(default_factory=dict)
    triggers: dict[Name, TriggerConfig] = Field(default_factory=dict)
    # `FILE:LINE:COL: path: what` lines about the file that are no errors (deprecated spellings).
    _notices: list[str] = PrivateAttr(default_factory=list)

    @property
    def notices(self) -> list[str]:
        return self._notices


_models: WeakKeyDictionary[Registry, tuple[tuple[int, ...], type[TriggersFile]]] = (
    WeakKeyDictionary()
)


def document_model(registry: Registry) -> type[TriggersFile]:
    """`TriggersFile` whose trigger values are validated by the registered models."""
    destination_kinds, target_kinds = registry_of("destination"), registry_of("target")
    generations = (registry.generation, destination_kinds.generation, target_kinds.generation)
    cached = _models.get(registry)
    if cached is None or cached[0] != generations:
        values: Any = registered_union(registry, TriggerConfig)
        functions: Any = function_model(destination_kinds, target_kinds)
        model = create_model(
            "TriggersFile",
            __base__=TriggersFile,
            functions=(dict[Name, functions], Field(default_factory=dict)),
            triggers=(dict[Name, values], Field(default_factory=dict)),
        )
        cached = _models[registry] = (generations, cast(type[TriggersFile], model))
    return cached[1]


def function_model(
    destination_kinds: KindRegistry[Any], target_kinds: KindRegistry[Any]
) -> type[FunctionConfig]:
    """`FunctionConfig` whose target and destinations are unions of the registered kinds."""
    target: Any = registered_union(target_kinds)
    destination: Any = Annotated[
        registered_union(destination_kinds), BeforeValidator(destination_shorthand)
    ]
    model = create_model(
        "FunctionConfig",
        __base__=FunctionConfig,
        target=(target, ...),
        on_success=(destination | None, None),
        on_failure=(destination | None, None),
    )
    return cast(type[FunctionConfig], model)
