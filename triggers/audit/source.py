"""The `audit` factory: one source per `source:`; CloudTrail needs boto3, so its module is
imported only when a trigger uses it."""

from __future__ import annotations

from hub.errors import MissingExtraError
from hub.plugins.contract import Source, SourceContext
from triggers.audit.config import AuditConfig


def build(config: AuditConfig, context: SourceContext) -> Source:
    if config.source == "auditd":
        from triggers.audit.auditd.source import AuditdSource

        return AuditdSource(config, context)
    if config.source == "kubernetes":
        from triggers.audit.kubernetes.source import kubernetes_source

        return kubernetes_source(config, context)
    try:
        from triggers.audit.cloudtrail.source import CloudTrailSource
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.split(".")[0] in ("boto3", "botocore"):
            raise MissingExtraError(exc.name.split(".")[0], "aws") from exc
        raise
    return CloudTrailSource(config, context)
