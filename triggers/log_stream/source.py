"""The `log_stream` factory: local files, or a CloudWatch Logs group (which needs boto3, so
that module is imported only when a trigger uses it)."""

from __future__ import annotations

from hub.plugins.contract import Source, SourceContext
from hub.plugins.optional import import_aws
from triggers.log_stream.config import LogStreamConfig
from triggers.log_stream.files import LogFileSource


def build(config: LogStreamConfig, context: SourceContext) -> Source:
    if config.cloudwatch is None:
        return LogFileSource(config, context)
    cloudwatch_source = import_aws("triggers.log_stream.cloudwatch.source", "CloudWatchSource")
    source: Source = cloudwatch_source(config, context)
    return source
