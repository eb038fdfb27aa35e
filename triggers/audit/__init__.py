"""`type: audit`: audit events from auditd log files, the Kubernetes audit webhook, or
CloudTrail through EventBridge and SQS. Registers on import; nothing here imports boto3."""

from hub.plugins.registry import TriggerKind, register
from hub.plugins.webhooks import WebhookKind, register_webhook
from triggers.audit.config import AuditConfig
from triggers.audit.kubernetes import webhook

KIND = TriggerKind(
    name="audit",
    config_model=AuditConfig,
    factory_path="triggers.audit.source:build",
    doc="Audit events: auditd log files, the Kubernetes audit webhook, CloudTrail via SQS.",
)
KUBERNETES_WEBHOOK = WebhookKind(
    name=webhook.KIND,
    config_model=AuditConfig,
    factory_path="triggers.audit.kubernetes.webhook:parse_event_list",
    body="audit EventList",
    triggers="kubernetes audit",
    answer=webhook.answer,
    openapi_path="triggers.audit.kubernetes.openapi:OPENAPI_PATHS",
    doc="The Kubernetes API server's audit webhook backend.",
)
register(KIND)
register_webhook(KUBERNETES_WEBHOOK)

__all__ = ["KIND", "KUBERNETES_WEBHOOK", "AuditConfig"]
