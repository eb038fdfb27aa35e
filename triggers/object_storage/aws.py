"""The boto3 SQS client for a trigger: its own session (boto3's default one is shared and not
thread-safe), credentials from the config or boto3's chain, a region from the config or the
queue URL, and a read timeout longer than the long poll."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hub.plugins.aws import aws_session
from triggers.object_storage.config import ObjectStorageConfig

# sqs.eu-west-1.amazonaws.com (and .com.cn), or the legacy eu-west-1.queue.amazonaws.com
_AWS_HOST = re.compile(
    r"^(?:sqs\.(?P<a>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|(?P<b>[a-z0-9-]+)\.queue\.amazonaws\.com)$"
)
CONNECT_TIMEOUT = 10
AwsError = (BotoCoreError, ClientError)


def region_of(config: ObjectStorageConfig) -> str | None:
    if config.region is not None:
        return config.region
    host = urlsplit(config.queue_url or "").hostname or ""
    match = _AWS_HOST.match(host)
    return (match.group("a") or match.group("b")) if match else None


def sqs_client(config: ObjectStorageConfig) -> Any:
    """Blocking (it reads credential files): call it in a thread."""
    session = aws_session(config, region_of(config))
    timeouts = Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=config.wait_time_seconds + CONNECT_TIMEOUT,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return session.client("sqs", endpoint_url=config.endpoint_url, config=timeouts)


def describe(exc: Exception) -> str:
    """The service's error code and message, without the chain (no request details)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"
