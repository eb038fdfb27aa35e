"""The `log_stream` factory: local files, or a CloudWatch Logs group (which needs boto3, so
that module is imported only when a trigger uses it)."""

from __future__ import annotations

from hub.errors import MissingExtraError
from hub.plugins.contract import Source, SourceContext
from triggers.log_stream.config import LogStreamConfig
from triggers.log_stream.files import LogFileSource


def build(config: LogStreamConfig, context: SourceContext) -> Source:
    if config.cloudwatch is None:
        return LogFileSource(config, context)
    try:
        from triggers.log_stream.cloudwatch.source import CloudWatchSource
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.split(".")[0] in ("boto3", "botocore"):
            raise MissingExtraError(exc.name.split(".")[0], "aws") from exc
        raise
    return CloudWatchSource(config, context)
