"""`type: log_stream`: lines of local log files (or a CloudWatch Logs group) as events.

Registers on import; nothing here imports boto3."""

from hub.plugins.registry import TriggerKind, register
from triggers.log_stream.config import LogStreamConfig

KIND = TriggerKind(
    name="log_stream",
    config_model=LogStreamConfig,
    factory_path="triggers.log_stream.source:build",
    doc="Lines appended to local files (rotation and truncation safe) or to CloudWatch Logs.",
)
register(KIND)

__all__ = ["KIND", "LogStreamConfig"]
