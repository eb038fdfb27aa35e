"""The base of every trigger's config: which functions it feeds, whether it runs, its filter.

Each plugin subclasses `TriggerConfig` with `type: Literal["kind"]` and its own fields; the
registry picks the model by `type` when the file is loaded, before any connection opens."""

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from hub.config.flow_lease import LeaseFlow
from hub.config.spellings import Respelled
from hub.filters import Filter
from hub.flow.config import TriggerFlowOverrides

NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,62}$"
NAME_HELP = (
    f"names are 1-63 lowercase letters, digits, '-' or '_', starting with a letter ({NAME_PATTERN})"
)
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


FunctionRefs = Annotated[
    list[Name],
    BeforeValidator(_as_list, json_schema_input_type=Name | list[Name]),
    Field(min_length=1, description="The function (or list of functions) each event invokes."),
]


class TriggerConfig(LeaseFlow, TriggerFlowOverrides):
    type: str = Field(description="The trigger kind; picks the rest of the schema.")
    function: FunctionRefs
    enabled: bool = Field(True, description="A disabled trigger is validated but not started.")
    filter: Filter | None = Field(
        None, description="Only events that match are submitted; others are counted and acked."
    )

    @classmethod
    def respell(cls, data: dict[str, Any]) -> list[Respelled]:
        """Rewrites the kind's deprecated spellings in `data` (the trigger as written) in place
        and says which; a kind with old spellings overrides it (see hub/config/spellings.py).
        The loader calls it to report them where they are written; validation calls it too, so
        a model built from a plain dict takes them as well."""
        return []

    @model_validator(mode="before")
    @classmethod
    def _today_spelling(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            cls.respell(data)
        return data

    def single_reader(self) -> bool:
        """Whether only one daemon may read this source at a time (a timer, a change stream,
        a file tail): such a trigger holds a lease in the store, and with several daemons on
        one PostgreSQL store the others stand by and take over when its holder dies."""
        return False
