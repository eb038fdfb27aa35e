"""`type: object_storage`: S3-compatible bucket notifications (AWS S3, MinIO, Huawei OBS), pulled
from an SQS queue or pushed to `POST /v1/hooks/object-storage/<trigger>`.

Importing this package registers the kind and the webhook; nothing here imports boto3."""

from hub.plugins.registry import TriggerKind, register
from hub.plugins.webhooks import WebhookKind, register_webhook
from triggers.object_storage.config import ObjectStorageConfig
from triggers.object_storage.webhook import KIND as WEBHOOK_KIND

OBJECT_STORAGE = TriggerKind(
    name="object_storage",
    config_model=ObjectStorageConfig,
    factory_path="triggers.object_storage.source:build",
    extra="aws",
    doc="Bucket notifications (S3, MinIO, OBS) from an SQS queue or the webhook; one "
    "invocation per object record, the message deleted only after all are durably queued.",
)
OBJECT_STORAGE_WEBHOOK = WebhookKind(
    name=WEBHOOK_KIND,
    config_model=ObjectStorageConfig,
    factory_path="triggers.object_storage.webhook:parse_webhook",
    body="object-storage notification",
    triggers="object_storage",
    doc="S3-shaped notification JSON pushed by MinIO, OBS (SMN) or another sender.",
)
register(OBJECT_STORAGE)
register_webhook(OBJECT_STORAGE_WEBHOOK)

__all__ = ["OBJECT_STORAGE", "OBJECT_STORAGE_WEBHOOK", "ObjectStorageConfig"]
