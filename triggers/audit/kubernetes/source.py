"""The kubernetes audit source: reads what the webhook put in the trigger's inbox, keeping the
entries its options select; acking a batch completes the webhook request (200), a nack or a
stop fails it (503, the API server retries)."""

from __future__ import annotations

from hub.intake.inbox import InboxSource
from hub.plugins.contract import SourceContext
from triggers.audit.config import AuditConfig
from triggers.audit.kubernetes.parse import wanted_entries
from triggers.audit.kubernetes.webhook import KIND


def kubernetes_source(config: AuditConfig, context: SourceContext) -> InboxSource:
    wanted = wanted_entries(
        config.verbs, config.resources, config.namespaces, config.users, config.stages
    )
    # An event's data is its audit entry, which is what the options test.
    return InboxSource(KIND, context.trigger, config, keep=lambda event: wanted(event.data))
