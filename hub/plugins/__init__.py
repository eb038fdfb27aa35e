"""The trigger plugin contract and the registry of trigger kinds."""

from hub.plugins.contract import (
    BackOff,
    Batch,
    EndOfInput,
    NotConnected,
    Pausable,
    ReportsLag,
    Source,
    SourceContext,
    SourceFactory,
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
    "ReportsLag",
    "Source",
    "SourceContext",
    "SourceFactory",
    "SourceSignal",
    "TriggerKind",
    "default_registry",
    "register",
    "registry",
]
