"""`type: audit`: audit events from auditd log files, the Kubernetes audit webhook, or
CloudTrail through EventBridge and SQS. Registers on import; nothing here imports boto3."""

from hub.plugins.registry import TriggerKind, register
from hub.plugins.webhooks import register_route_module
from triggers.audit.config import AuditConfig

KIND = TriggerKind(
    name="audit",
    config_model=AuditConfig,
    factory_path="triggers.audit.source:build",
    doc="Audit events: auditd log files, the Kubernetes audit webhook, CloudTrail via SQS.",
)
register(KIND)
# The Kubernetes audit webhook needs its own route (it answers 503 on a full backlog).
register_route_module("triggers.audit.kubernetes.routes")

__all__ = ["KIND", "AuditConfig"]
