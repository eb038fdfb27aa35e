"""The trigger's options are checked when the file loads, before any connection."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import structlog
from pydantic import ValidationError

from hub.config.loader import load_config
from hub.intake.inbox import InboxSource
from hub.plugins.contract import SourceContext
from hub.plugins.webhooks import webhook
from tests.object_storage.conftest import trigger
from triggers.object_storage import OBJECT_STORAGE, ObjectStorageConfig
from triggers.object_storage.aws import region_of

QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/uploads"


def test_defaults_and_visibility_in_whole_seconds() -> None:
    config = trigger(queue_url=QUEUE, visibility_timeout="90500ms")
    assert (config.wait_time_seconds, config.read_size) == (20, 10)
    assert config.visibility_seconds() == 91


def test_max_messages_is_the_old_spelling_of_read_size(tmp_path: Path) -> None:
    assert trigger(queue_url=QUEUE, max_messages=4).read_size == 4
    with pytest.raises(ValidationError, match="give `read_size` only"):
        trigger(queue_url=QUEUE, max_messages=4, read_size=5)
    config = tmp_path / "triggers.yaml"
    config.write_text(
        "functions:\n"
        '  f: {target: {type: http, url: "http://127.0.0.1:9/f"}}\n'
        "triggers:\n"
        "  uploads:\n"
        "    type: object_storage\n"
        "    function: f\n"
        f"    queue_url: {QUEUE}\n"
        "    max_messages: 4\n"
    )
    doc = load_config(config)
    assert doc.notices == [
        f"{config}:8:5: triggers.uploads.max_messages: deprecated spelling; write `read_size` "
        "instead (messages per receive)"
    ]
    loaded = doc.triggers["uploads"]
    assert isinstance(loaded, ObjectStorageConfig) and loaded.read_size == 4


def test_the_secret_is_never_shown() -> None:
    config = trigger(queue_url=QUEUE, access_key_id="AKIA", secret_access_key="hunter2")
    assert "hunter2" not in repr(config) and "hunter2" not in str(config.model_dump())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"queue_url": QUEUE, "read_size": 11}, "less than or equal to 10"),
        ({"read_size": 5}, "read_size applies only with queue_url"),
        ({"queue_url": QUEUE, "wait_time_seconds": 21}, "less than or equal to 20"),
        ({"queue_url": "sqs://x"}, "should match pattern"),
        ({"queue_url": QUEUE, "access_key_id": "AKIA"}, "together, or neither"),
        ({"queue_url": QUEUE, "session_token": "t"}, "session_token needs"),
        ({"events": ["ObjectCreated Put"]}, "is not an S3 event pattern"),
        ({"events": []}, "at least 1 item"),
        ({"wait_time_seconds": 5}, "applies only with queue_url"),
    ],
)
def test_bad_options_fail_at_load(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        trigger(**fields)


@pytest.mark.parametrize(
    ("fields", "region"),
    [
        ({"queue_url": QUEUE}, "eu-west-1"),
        ({"queue_url": "https://eu-north-1.queue.amazonaws.com/1/q"}, "eu-north-1"),
        ({"queue_url": "https://sqs.cn-north-1.amazonaws.com.cn/1/q"}, "cn-north-1"),
        ({"queue_url": QUEUE, "region": "us-east-2"}, "us-east-2"),
        ({"queue_url": "http://127.0.0.1:4566/1/q"}, None),
    ],
)
def test_the_region_comes_from_the_config_or_an_aws_queue_url(
    fields: dict[str, Any], region: str | None
) -> None:
    assert region_of(trigger(**fields)) == region


async def test_a_trigger_without_queue_url_is_webhook_only() -> None:
    factory = OBJECT_STORAGE.load_factory()
    context = SourceContext("uploads", _no_checkpoint, structlog.get_logger("test"))
    assert isinstance(factory(trigger(), context), InboxSource)
    hook = webhook("object-storage")
    assert hook is not None and hook.config_model is ObjectStorageConfig


async def _no_checkpoint(_name: str) -> str | None:
    return None


def test_importing_the_plugin_does_not_import_boto3() -> None:
    code = "import sys, triggers.object_storage; assert 'boto3' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
