"""The trigger plugin contract and the registry of trigger kinds."""

from hub.plugins.contract import (
    BackOff,
    Batch,
    EndOfInput,
    NotConnected,
    Pausable,
    ReportsDetail,
    ReportsGaps,
    ReportsLag,
    ReportsLagDetail,
    Source,
    SourceContext,
    SourceFactory,
    SourceFailed,
    SourceSignal,
)
from hub.plugins.registry import Registry, TriggerKind, default_registry, register, registry

__all__ = [
    "BackOff",
    "Batch",
    "EndOfInput",
    "NotConnected",
    "Pausable",
    "Registry",
    "ReportsDetail",
    "ReportsGaps",
    "ReportsLag",
    "ReportsLagDetail",
    "Source",
    "SourceContext",
    "SourceFactory",
    "SourceFailed",
    "SourceSignal",
    "TriggerKind",
    "default_registry",
    "register",
    "registry",
]
