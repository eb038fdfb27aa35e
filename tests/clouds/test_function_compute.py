"""alibabacloud-fc20230330, pointed at a running daemon, drives the hub's invocations as
Function Compute 3.0 async tasks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_fc20230330 import models as fc
from alibabacloud_fc20230330.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

from tests.clouds.conftest import ACCESS_KEY, MAX_BODY, SECRET, CloudHub, call

pytestmark = pytest.mark.timeout(90)


def fc_client(hub: CloudHub, secret: str = SECRET) -> Client:
    endpoint = hub.url.removeprefix("http://")
    return Client(
        Config(
            access_key_id=ACCESS_KEY,
            access_key_secret=secret,
            endpoint=endpoint,
            protocol="http",
            region_id="cn-hangzhou",
        )
    )


async def invoke_async(
    client: Client, function: str, body: bytes, *, task_id: str | None = None, delay: str = ""
) -> Any:
    headers = fc.InvokeFunctionHeaders(
        x_fc_invocation_type="Async",
        x_fc_async_task_id=task_id,
        # The SDK has no field for the delay: callers pass it as a common header.
        common_headers={"x-fc-async-delay": delay} if delay else None,
    )
    request = fc.InvokeFunctionRequest(body=body)
    return await call(
        client.invoke_function_with_options, function, request, headers, RuntimeOptions()
    )


async def test_async_task_runs_and_is_read_back(cloud_hub: CloudHub) -> None:
    client = fc_client(cloud_hub)
    answer = await invoke_async(client, "echo", b'{"n": 1}', task_id="task-run-1")
    assert answer.status_code == 202
    invocation_id = answer.headers["x-fc-request-id"]
    await cloud_hub.status_becomes(invocation_id, "succeeded")
    record = await cloud_hub.record(invocation_id)
    assert record["idempotency_key"] == "task-run-1"
    assert json.loads(record["response"]["data"]) == {"n": 1}

    task = (await call(client.get_async_task, "echo", "task-run-1", fc.GetAsyncTaskRequest())).body
    assert task.task_id == "task-run-1"
    assert task.request_id == invocation_id
    assert task.status == "Succeeded"
    assert json.loads(task.return_payload)["data"] == '{"n": 1}'
    assert task.events[0].status == "Enqueued"
    assert task.events[-1].status == "Succeeded"
    by_hub_id = await call(client.get_async_task, "echo", invocation_id, fc.GetAsyncTaskRequest())
    assert by_hub_id.body.task_id == "task-run-1"


async def test_deferred_task_is_deduplicated_listed_and_stopped(cloud_hub: CloudHub) -> None:
    client = fc_client(cloud_hub)
    first = await invoke_async(client, "echo", b"{}", task_id="later-1", delay="600")
    again = await invoke_async(client, "echo", b"{}", task_id="later-1", delay="600")
    invocation_id = first.headers["x-fc-request-id"]
    assert again.headers["x-fc-request-id"] == invocation_id
    record = await cloud_hub.record(invocation_id)
    assert record["status"] == "queued"
    assert record["not_before"] > record["created_at"]
    assert await cloud_hub.count("echo") == 1

    await call(client.stop_async_task, "echo", "later-1", fc.StopAsyncTaskRequest())
    assert (await cloud_hub.record(invocation_id))["status"] == "stopped"
    task = (await call(client.get_async_task, "echo", "later-1", fc.GetAsyncTaskRequest())).body
    assert task.status == "Stopped"
    with pytest.raises(ClientException) as caught:
        await call(client.stop_async_task, "echo", "later-1", fc.StopAsyncTaskRequest())
    assert caught.value.status_code == 409


async def test_list_async_tasks_filters_and_pages(cloud_hub: CloudHub) -> None:
    client = fc_client(cloud_hub)
    for n in range(3):
        await invoke_async(client, "echo", b"{}", task_id=f"batch-{n}", delay="600")
    await invoke_async(client, "echo", b"{}", task_id="other-0", delay="600")

    async def listing(**params: Any) -> Any:
        request = fc.ListAsyncTasksRequest(**params)
        return (await call(client.list_async_tasks, "echo", request)).body

    page = await listing(prefix="batch-", limit=2, include_payload=True, status="Enqueued")
    assert [t.task_id for t in page.tasks] == ["batch-2", "batch-1"]
    assert page.tasks[0].task_payload == "{}"
    rest = await listing(prefix="batch-", limit=2, next_token=page.next_token)
    assert [t.task_id for t in rest.tasks] == ["batch-0"]
    assert rest.next_token is None
    assert (await listing(status="Succeeded")).tasks == []
    assert (await listing(status="Dequeued")).tasks == []


async def test_async_invoke_config_in_fc_shape(cloud_hub: CloudHub) -> None:
    client = fc_client(cloud_hub)
    answer = await call(client.get_async_invoke_config, "echo", fc.GetAsyncInvokeConfigRequest())
    config = answer.body
    assert config.function_arn == "acs:fc:local:0:functions/echo"
    assert config.max_async_retry_attempts == 1
    assert config.max_async_event_age_in_seconds == 3600
    assert config.destination_config.on_failure.destination == "acs:fc:local:0:functions/fail"


@pytest.mark.parametrize(
    ("function", "body", "delay", "status", "code"),
    [
        ("nope", b"{}", "", 404, "FunctionNotFound"),
        ("echo", b"{}", "604801", 400, "InvalidArgument"),
        ("echo", b"{}", "soon", 400, "InvalidArgument"),
        ("echo", b"x" * (MAX_BODY + 1), "", 413, "PayloadTooLarge"),
    ],
)
async def test_errors_raise_client_exceptions(
    cloud_hub: CloudHub, function: str, body: bytes, delay: str, status: int, code: str
) -> None:
    with pytest.raises(ClientException) as caught:
        await invoke_async(fc_client(cloud_hub), function, body, delay=delay)
    assert (caught.value.status_code, caught.value.code) == (status, code)
    assert await cloud_hub.count("echo") == 0


async def test_a_wrong_secret_is_refused(cloud_hub: CloudHub) -> None:
    with pytest.raises(ClientException) as caught:
        await invoke_async(fc_client(cloud_hub, secret="wrong"), "echo", b"{}")
    assert (caught.value.status_code, caught.value.code) == (403, "SignatureNotMatch")
    with pytest.raises(ClientException) as unknown:
        await call(
            fc_client(cloud_hub, secret="wrong").get_async_task,
            "echo",
            "missing",
            fc.GetAsyncTaskRequest(),
        )
    assert unknown.value.code == "SignatureNotMatch"
    assert await cloud_hub.count("echo") == 0


async def test_sync_invocation_answers_with_the_result(cloud_hub: CloudHub) -> None:
    client = fc_client(cloud_hub)
    request = fc.InvokeFunctionRequest(body=b'{"n": 3}')
    answer = await call(client.invoke_function, "echo", request)
    assert answer.status_code == 200
    assert json.loads(answer.body.read())["data"] == '{"n": 3}'
    record = await cloud_hub.record(answer.headers["x-fc-request-id"])
    assert record["status"] == "succeeded"


async def test_a_running_task_is_stopped(cloud_hub: CloudHub) -> None:
    client = fc_client(cloud_hub)
    answer = await invoke_async(client, "slow", b"{}", task_id="long-1")
    invocation_id = answer.headers["x-fc-request-id"]
    await cloud_hub.status_becomes(invocation_id, "running")
    task = (await call(client.get_async_task, "slow", "long-1", fc.GetAsyncTaskRequest())).body
    assert task.status == "Running"
    await call(client.stop_async_task, "slow", "long-1", fc.StopAsyncTaskRequest())
    assert (await cloud_hub.record(invocation_id))["status"] == "stopped"
    task = (await call(client.get_async_task, "slow", "long-1", fc.GetAsyncTaskRequest())).body
    assert [e.status for e in task.events] == ["Enqueued", "Running", "Stopped"]
