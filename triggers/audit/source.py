"""The `audit` factory: one source per `source:`; CloudTrail needs boto3, so its module is
imported only when a trigger uses it."""

from __future__ import annotations

from hub.plugins.contract import Source, SourceContext
from hub.plugins.optional import import_aws
from triggers.audit.config import AuditConfig


def build(config: AuditConfig, context: SourceContext) -> Source:
    if config.source == "auditd":
        from triggers.audit.auditd.source import AuditdSource

        return AuditdSource(config, context)
    if config.source == "kubernetes":
        from triggers.audit.kubernetes.source import kubernetes_source

        return kubernetes_source(config, context)
    cloudtrail_source = import_aws("triggers.audit.cloudtrail.source", "CloudTrailSource")
    source: Source = cloudtrail_source(config, context)
    return source
