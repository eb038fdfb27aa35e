"""boto3's Lambda client, pointed at a running daemon, invokes the hub's functions."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.clouds.conftest import (
    ACCESS_KEY,
    MAX_BODY,
    SECRET,
    CloudHub,
    call,
    closed_after_test,
    invoke_lambda,
)
from tests.waiting import until

pytestmark = pytest.mark.timeout(90)


def lambda_client(hub: CloudHub, secret: str = SECRET, key: str = ACCESS_KEY) -> Any:
    return closed_after_test(
        boto3.client(
            "lambda",
            endpoint_url=hub.url,
            region_name="eu-west-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )
    )


def with_headers(client: Any, headers: dict[str, str]) -> Any:
    """The hub's own headers (idempotency key, delay) on every Invoke, signed like the rest."""

    def add(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            request.headers[name] = value

    client.meta.events.register("before-sign.lambda.Invoke", add)
    return client


async def test_event_invoke_is_queued_and_reaches_the_function(cloud_hub: CloudHub) -> None:
    client = lambda_client(cloud_hub)
    context = base64.b64encode(json.dumps({"custom": {"who": "test"}}).encode()).decode()
    answer = await invoke_lambda(
        client,
        FunctionName="echo",
        InvocationType="Event",
        Payload=json.dumps({"n": 1}),
        ClientContext=context,
    )
    assert answer["StatusCode"] == 202
    invocation_id = answer["ResponseMetadata"]["RequestId"]
    await cloud_hub.status_becomes(invocation_id, "succeeded")
    record = await cloud_hub.record(invocation_id)
    assert record["function"] == "echo"
    assert record["response"]["data"] == {"n": 1}
    assert json.loads(record["response"]["extensions"]["clientcontext"]) == {
        "custom": {"who": "test"}
    }


async def test_arns_and_qualifiers_name_the_hub_function(cloud_hub: CloudHub) -> None:
    client = lambda_client(cloud_hub)
    for name in ("arn:aws:lambda:eu-west-1:123456789012:function:echo:prod", "echo:$LATEST"):
        answer = await invoke_lambda(
            client, FunctionName=name, InvocationType="Event", Payload=b"{}"
        )
        record = await cloud_hub.record(answer["ResponseMetadata"]["RequestId"])
        assert record["function"] == "echo"
    # A qualifier in the query string is signed like the rest, and changes nothing.
    answer = await invoke_lambda(
        client, FunctionName="echo", Qualifier="prod", InvocationType="Event", Payload=b"{}"
    )
    assert answer["StatusCode"] == 202


async def test_request_response_waits_for_the_result(cloud_hub: CloudHub) -> None:
    client = lambda_client(cloud_hub)
    answer = await invoke_lambda(client, FunctionName="echo", Payload=json.dumps({"n": 2}))
    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"])["data"] == {"n": 2}
    record = await cloud_hub.record(answer["ResponseMetadata"]["RequestId"])
    assert record["status"] == "succeeded"

    failed = await invoke_lambda(client, FunctionName="fail", Payload=b"{}")
    assert failed["FunctionError"] == "Unhandled"
    assert "refused on purpose" in json.loads(failed["Payload"])["errorMessage"]


async def test_dry_run_validates_without_queueing(cloud_hub: CloudHub) -> None:
    client = lambda_client(cloud_hub)
    answer = await invoke_lambda(client, FunctionName="echo", InvocationType="DryRun")
    assert answer["StatusCode"] == 204
    assert await cloud_hub.count("echo") == 0


async def test_deferred_and_deduplicated_by_the_hub_headers(cloud_hub: CloudHub) -> None:
    client = with_headers(
        lambda_client(cloud_hub), {"X-Triggerhub-Delay": "600", "Idempotency-Key": "order-7"}
    )
    first = await invoke_lambda(client, FunctionName="echo", InvocationType="Event", Payload=b"{}")
    again = await invoke_lambda(client, FunctionName="echo", InvocationType="Event", Payload=b"{}")
    invocation_id = first["ResponseMetadata"]["RequestId"]
    assert again["ResponseMetadata"]["RequestId"] == invocation_id
    record = await cloud_hub.record(invocation_id)
    assert record["status"] == "queued"
    assert record["idempotency_key"] == "order-7"
    assert record["not_before"] > record["created_at"]
    assert await cloud_hub.count("echo") == 1


async def test_event_invoke_config_in_lambda_shape(cloud_hub: CloudHub) -> None:
    client = lambda_client(cloud_hub)
    config = await call(client.get_function_event_invoke_config, FunctionName="echo")
    assert config["FunctionArn"] == "arn:aws:lambda:eu-west-1:000000000000:function:echo"
    assert config["MaximumRetryAttempts"] == 1
    assert config["MaximumEventAgeInSeconds"] == 3600
    assert config["DestinationConfig"]["OnFailure"]["Destination"].endswith(":function:fail")
    listed = await call(client.list_function_event_invoke_configs, FunctionName="echo")
    assert [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]] == [
        config["FunctionArn"]
    ]


async def test_errors_raise_the_sdk_exceptions(cloud_hub: CloudHub) -> None:
    client = lambda_client(cloud_hub)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        await invoke_lambda(client, FunctionName="nope", InvocationType="Event", Payload=b"{}")
    with pytest.raises(client.exceptions.RequestTooLargeException):
        await invoke_lambda(
            client,
            FunctionName="echo",
            InvocationType="Event",
            Payload=json.dumps({"big": "x" * MAX_BODY}),
        )
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        await invoke_lambda(client, FunctionName="echo", InvocationType="Event", Payload=b"{not")
    delayed = with_headers(lambda_client(cloud_hub), {"X-Triggerhub-Delay": "99999999"})
    with pytest.raises(delayed.exceptions.InvalidParameterValueException):
        await invoke_lambda(delayed, FunctionName="echo", InvocationType="Event", Payload=b"{}")
    for bad, code in (
        (lambda_client(cloud_hub, secret="wrong"), "InvalidSignatureException"),
        (lambda_client(cloud_hub, key="AKIDUNKNOWN"), "UnrecognizedClientException"),
    ):
        with pytest.raises(ClientError) as caught:
            await invoke_lambda(bad, FunctionName="echo", InvocationType="Event", Payload=b"{}")
        assert caught.value.response["Error"]["Code"] == code
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert await cloud_hub.count("echo") == 0
    # The operator sees why, without the secret (the fixture checks the whole log for it).
    await until(lambda: "signed request refused" in cloud_hub.daemon.log())
