"""The `mongodb` trigger: MongoDB change streams (collection, database or cluster scope) with
the resume token committed together with the invocations.

Importing this package registers the kind without importing PyMongo: the source factory is
named by path and loaded when a trigger starts."""

from hub.plugins.registry import TriggerKind, register
from triggers.mongodb.config import MongoTriggerConfig

KIND = TriggerKind(
    name="mongodb",
    config_model=MongoTriggerConfig,
    factory_path="triggers.mongodb.source:build",
    extra="mongodb",
    doc="Changes from a MongoDB change stream; the resume token is committed only with the "
    "invocations it covers.",
)
register(KIND)

__all__ = ["KIND", "MongoTriggerConfig"]
