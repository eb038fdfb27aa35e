"""The strict base model: unknown keys are errors, so typos surface at load time."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
