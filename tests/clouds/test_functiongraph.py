"""huaweicloudsdkfunctiongraph, pointed at a running daemon, drives the hub's invocations as
FunctionGraph asynchronous invocations."""

from __future__ import annotations

from typing import Any

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkfunctiongraph.v2 import FunctionGraphClient
from huaweicloudsdkfunctiongraph.v2 import model as fg

from tests.clouds.conftest import (
    ACCESS_KEY,
    MAX_BODY,
    PROJECT,
    SECRET,
    CloudHub,
    call,
    closed_after_test,
)

pytestmark = pytest.mark.timeout(90)


def urn(name: str) -> str:
    return f"urn:fss:cn-north-4:{PROJECT}:function:default:{name}:latest"


def fg_client(hub: CloudHub, secret: str = SECRET) -> Any:
    return closed_after_test(
        FunctionGraphClient.new_builder()
        .with_credentials(BasicCredentials(ACCESS_KEY, secret, PROJECT))
        .with_endpoint(hub.url)
        .build()
    )


async def invoke_async(
    client: Any, function: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    request = fg.AsyncInvokeFunctionRequest(function_urn=urn(function), body=body)
    invoker = client.async_invoke_function_invoker(request)
    # The hub's own headers (delay, idempotency key) travel as extra headers, signed too.
    for name, value in (headers or {}).items():
        invoker.add_header(name, value)
    return await call(invoker.invoke)


async def listing(client: Any, function: str, active: bool = False, **params: Any) -> Any:
    if active:
        request: Any = fg.ListActiveAsyncInvocationsRequest(function_urn=urn(function), **params)
        return await call(client.list_active_async_invocations, request)
    request = fg.ListAsyncInvocationsRequest(function_urn=urn(function), **params)
    return await call(client.list_async_invocations, request)


async def test_async_invocation_runs_and_is_listed(cloud_hub: CloudHub) -> None:
    client = fg_client(cloud_hub)
    answer = await invoke_async(client, "echo", {"n": 1})
    invocation_id = answer.request_id
    await cloud_hub.status_becomes(invocation_id, "succeeded")
    assert (await cloud_hub.record(invocation_id))["response"]["data"] == {"n": 1}
    listed = await listing(client, "echo", request_id=invocation_id)
    assert [(i.request_id, i.status) for i in listed.invocations] == [(invocation_id, "SUCCESS")]
    assert listed.count == 1


async def test_deferred_deduplicated_and_cancelled(cloud_hub: CloudHub) -> None:
    client = fg_client(cloud_hub)
    headers = {"X-Triggerhub-Delay": "600", "Idempotency-Key": "fg-order-1"}
    first = await invoke_async(client, "echo", {}, headers)
    again = await invoke_async(client, "echo", {}, headers)
    assert again.request_id == first.request_id
    record = await cloud_hub.record(first.request_id)
    assert record["status"] == "queued"
    assert record["not_before"] > record["created_at"]

    active = await listing(client, "echo", active=True)
    assert [(i.request_id, i.status) for i in active.invocations] == [(first.request_id, "WAIT")]
    body = fg.CancelAsyncInvocationRequestBody(request_id=first.request_id, type="force")
    await call(
        client.cancel_async_invocation,
        fg.CancelAsyncInvocationRequest(function_urn=urn("echo"), body=body),
    )
    assert (await cloud_hub.record(first.request_id))["status"] == "stopped"
    assert (await listing(client, "echo", active=True)).invocations == []
    stopped = await listing(client, "echo", status="DISCARD")
    assert [i.request_id for i in stopped.invocations] == [first.request_id]


async def test_listing_pages_with_integer_markers(cloud_hub: CloudHub) -> None:
    client = fg_client(cloud_hub)
    ids = [
        (await invoke_async(client, "echo", {}, {"X-Triggerhub-Delay": "600"})).request_id
        for _ in range(3)
    ]
    first = await listing(client, "echo", limit="2")
    assert [i.request_id for i in first.invocations] == ids[::-1][:2]
    assert (first.count, first.next_marker) == (3, 2)
    rest = await listing(client, "echo", limit="2", marker=str(first.next_marker))
    assert [i.request_id for i in rest.invocations] == ids[:1]
    assert rest.next_marker is None


async def test_async_invoke_config(cloud_hub: CloudHub) -> None:
    client = fg_client(cloud_hub)
    request = fg.ShowFunctionAsyncInvokeConfigRequest(function_urn=urn("echo"))
    config = await call(client.show_function_async_invoke_config, request)
    assert config.max_async_retry_attempts == 1
    assert config.max_async_event_age_in_seconds == 3600
    assert config.destination_config.on_failure.destination == "function"


@pytest.mark.parametrize(
    ("function", "body", "headers", "status", "code"),
    [
        ("nope", {}, {}, 404, "FSS.1051"),
        ("echo", {}, {"X-Triggerhub-Delay": "-1"}, 400, "FSS.0400"),
        ("echo", {"big": "x" * MAX_BODY}, {}, 413, "FSS.0413"),
    ],
)
async def test_errors_raise_client_request_exceptions(
    cloud_hub: CloudHub,
    function: str,
    body: dict[str, Any],
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    with pytest.raises(ClientRequestException) as caught:
        await invoke_async(fg_client(cloud_hub), function, body, headers)
    assert (caught.value.status_code, caught.value.error_code) == (status, code)
    assert await cloud_hub.count("echo") == 0


async def test_a_wrong_secret_is_refused(cloud_hub: CloudHub) -> None:
    with pytest.raises(ClientRequestException) as caught:
        await invoke_async(fg_client(cloud_hub, secret="wrong"), "echo", {})
    assert (caught.value.status_code, caught.value.error_code) == (403, "APIGW.0301")
    assert await cloud_hub.count("echo") == 0
