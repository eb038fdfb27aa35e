"""The filter syntax as typed models; the same models give the JSON Schema and the errors."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    RootModel,
    Tag,
    model_validator,
)
from pydantic.config import JsonDict

from hub.config.base import Strict
from hub.events import EXTENSION_NAME, EXTENSION_NAME_PATTERN

ATTRIBUTE = EXTENSION_NAME_PATTERN
_DATA_PATH = r"data(\.[^.\s]+)*"
DATA_PATH = f"^{_DATA_PATH}$"
SELECTOR = f"^({EXTENSION_NAME}|{_DATA_PATH})$"
OPERATORS = ("exact", "prefix", "suffix", "exists")
_RESERVED = ("all", "any", "not", "attribute", "field")
# Tags never equal a mapping key, so an error's location still maps back onto the YAML.
CONDITION, ALL, ANY, NOT, SHORTHAND = (
    "filter:condition",
    "filter:all",
    "filter:any",
    "filter:not",
    "filter:shorthand",
)


_SOME_OPERATOR: JsonDict = {"anyOf": [{"required": [op]} for op in OPERATORS]}


class Operators(Strict):
    """What the selected value must satisfy; several operators must all hold."""

    model_config = ConfigDict(json_schema_extra=_SOME_OPERATOR)

    exact: JsonValue = Field(None, description="Equal to this value (true is not 1).")
    prefix: str | None = Field(None, description="A string that starts with this.")
    suffix: str | None = Field(None, description="A string that ends with this.")
    exists: bool | None = Field(None, description="Present (true) or absent (false).")

    @model_validator(mode="after")
    def _check(self) -> Operators:
        problem = self._problem()
        if problem:
            raise ValueError(problem)
        return self

    def _problem(self) -> str | None:
        if not self.model_fields_set & set(OPERATORS):
            return "give an operator: exact, prefix, suffix or exists"
        return None


class Condition(Operators):
    model_config = ConfigDict(
        json_schema_extra={
            **_SOME_OPERATOR,
            "oneOf": [{"required": ["attribute"]}, {"required": ["field"]}],
        }
    )

    attribute: str | None = Field(
        None, pattern=ATTRIBUTE, description="A CloudEvents attribute or extension name."
    )
    field: str | None = Field(None, pattern=DATA_PATH, description="`data.a.b`: a field of data.")

    def _problem(self) -> str | None:
        if (self.attribute is None) == (self.field is None):
            return "a condition names exactly one of 'attribute' or 'field'"
        return super()._problem()


def _exact_shorthand(value: Any) -> Any:
    return value if isinstance(value, dict) else {"exact": value}


ShorthandOperators = Annotated[
    Operators,
    BeforeValidator(_exact_shorthand, json_schema_input_type=Operators | JsonValue),
]


class Shorthand(RootModel[dict[Annotated[str, Field(pattern=SELECTOR)], ShorthandOperators]]):
    """`{type: {prefix: x}, data.id: 7}`: every selector must match."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "minProperties": 1,
            "not": {"anyOf": [{"required": [key]} for key in _RESERVED]},
        },
    )


class AllOf(Strict):
    all: list[Filter] = Field(min_length=1, description="Every filter must match.")


class AnyOf(Strict):
    any: list[Filter] = Field(min_length=1, description="At least one filter must match.")


class NotOf(Strict):
    not_: Filter = Field(alias="not", description="The filter must not match.")


_MODEL_TAGS: dict[type, str] = {
    Condition: CONDITION,
    AllOf: ALL,
    AnyOf: ANY,
    NotOf: NOT,
    Shorthand: SHORTHAND,
}


def _kind(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, tag in (("all", ALL), ("any", ANY), ("not", NOT)):
            if key in value:
                return tag
        if "attribute" in value or "field" in value or not value:
            return CONDITION
        return SHORTHAND
    return _MODEL_TAGS.get(type(value))


Filter = Annotated[
    Annotated[Condition, Tag(CONDITION)]
    | Annotated[AllOf, Tag(ALL)]
    | Annotated[AnyOf, Tag(ANY)]
    | Annotated[NotOf, Tag(NOT)]
    | Annotated[Shorthand, Tag(SHORTHAND)],
    Discriminator(
        _kind,
        custom_error_type="filter",
        custom_error_message="a filter is a mapping: a condition {attribute|field: …, "
        "exact|prefix|suffix|exists: …}, {all: […]}, {any: […]}, {not: {…}} "
        "or {SELECTOR: VALUE}",
    ),
]
FilterNode = Condition | AllOf | AnyOf | NotOf | Shorthand

for _model in (AllOf, AnyOf, NotOf):
    _model.model_rebuild()
