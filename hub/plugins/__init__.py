"""What a trigger plugin imports: the source contract, the registry of trigger kinds, and the
shared pieces (invalid and batch events, optional imports, committed positions and the default
nack, config pieces with one vocabulary across kinds, the supervisor its background tasks run
in)."""

from hub.config.spellings import Respelled, moved
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
from hub.plugins.events import (
    batch_event,
    invalid_event,
    invalid_reason,
    mark_invalid,
    stand_in,
    wire_form,
    written,
)
from hub.plugins.optional import import_aws, import_extra
from hub.plugins.options import AwsOptions, Batching, PayloadBytes
from hub.plugins.position import Checkpoint, read_again, stored_position
from hub.plugins.registry import Registry, TriggerKind, default_registry, register, registry
from hub.supervisor import Supervisor

__all__ = [
    "AwsOptions",
    "BackOff",
    "Batch",
    "Batching",
    "Checkpoint",
    "EndOfInput",
    "NotConnected",
    "Pausable",
    "PayloadBytes",
    "Registry",
    "ReportsDetail",
    "ReportsGaps",
    "ReportsLag",
    "ReportsLagDetail",
    "Respelled",
    "Source",
    "SourceContext",
    "SourceFactory",
    "SourceFailed",
    "SourceSignal",
    "Supervisor",
    "TriggerKind",
    "batch_event",
    "default_registry",
    "import_aws",
    "import_extra",
    "invalid_event",
    "invalid_reason",
    "mark_invalid",
    "moved",
    "read_again",
    "register",
    "registry",
    "stand_in",
    "stored_position",
    "wire_form",
    "written",
]
