"""The `object_storage` factory: an SQS source when the trigger has a `queue_url`, otherwise a
source that reads what the webhook pushes to its inbox. Only the SQS source needs boto3, so a
webhook-only trigger runs without the `aws` extra."""

from __future__ import annotations

from hub.intake.inbox import InboxSource
from hub.plugins.contract import Source, SourceContext
from hub.plugins.optional import import_aws
from triggers.object_storage.config import ObjectStorageConfig
from triggers.object_storage.webhook import KIND


def build(config: ObjectStorageConfig, context: SourceContext) -> Source:
    if config.queue_url is None:
        context.log.info("object_storage trigger is webhook-only", path=webhook_path(context))
        return InboxSource(KIND, context.trigger, config)
    sqs_source = import_aws("triggers.object_storage.sqs", "SqsSource")
    source: Source = sqs_source(config, context)
    return source


def webhook_path(context: SourceContext) -> str:
    return f"/v1/hooks/{KIND}/{context.trigger}"
