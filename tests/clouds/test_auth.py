"""Who may call the clouds' routes: signatures checked against the configured access keys,
unsigned requests under the API's token rules, each refusal in the cloud's error shape."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from hub import Hub
from hub.api import ApiServer, create_app
from hub.api.clouds import AccessKey, AccessKeys, load_access_keys
from hub.errors import ConfigError
from tests.api.conftest import FUNCTIONS, hub_settings
from tests.clouds.conftest import ACCESS_KEY, SECRET, TOKEN, invoke_lambda
from tests.servers.daemon import Daemon
from tests.servers.process import free_port

pytestmark = pytest.mark.timeout(60)
LAMBDA_INVOKE = "/2015-03-31/functions/echo/invocations"


@asynccontextmanager
async def serving(tmp_path: Path, token: str | None, keys: AccessKeys | None) -> AsyncIterator[str]:
    async with Hub(hub_settings(tmp_path), FUNCTIONS) as hub:
        server = ApiServer(create_app(hub, token=token, max_body_bytes=4096, access_keys=keys))
        await server.start("127.0.0.1", 0)
        try:
            yield server.url
        finally:
            await server.stop()


async def invoke_event(url: str, *, signed: bool = True) -> Any:
    """An Event Invoke of `echo` by boto3; its connections are closed after."""
    client = lambda_client(url, signed=signed)
    try:
        return await invoke_lambda(client, FunctionName="echo", InvocationType="Event")
    finally:
        client.close()


def lambda_client(url: str, *, signed: bool = True) -> Any:
    config = Config(retries={"max_attempts": 1})
    if not signed:
        config = config.merge(Config(signature_version=UNSIGNED))
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        config=config,
    )


KEYS = AccessKeys([AccessKey(ACCESS_KEY, SECRET)])


async def test_unsigned_requests_follow_the_token_rules(tmp_path: Path) -> None:
    async with serving(tmp_path, TOKEN, KEYS) as url, aiohttp.ClientSession(url) as session:
        async with session.post(LAMBDA_INVOKE, headers={"X-Amz-Invocation-Type": "Event"}) as r:
            assert r.status == 401
            assert r.headers["x-amzn-ErrorType"] == "UnrecognizedClientException"
            assert "Bearer" in (await r.json())["Message"]
        bearer = {"X-Amz-Invocation-Type": "Event", "Authorization": f"Bearer {TOKEN}"}
        async with session.post(LAMBDA_INVOKE, headers=bearer, data=b"{}") as r:
            assert r.status == 202
            assert r.headers["x-amzn-RequestId"]
        with pytest.raises(ClientError) as caught:
            await invoke_event(url, signed=False)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401


async def test_without_keys_signed_requests_pass_only_where_no_token_is_needed(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path, TOKEN, None) as url:
        with pytest.raises(ClientError) as caught:
            await invoke_event(url)
        assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
        assert "hub.api.access_keys" in caught.value.response["Error"]["Message"]
    async with serving(tmp_path, None, None) as url:
        answer = await invoke_event(url)
        assert answer["StatusCode"] == 202


def sigv4_headers(url: str, when: datetime, body: bytes) -> dict[str, str]:
    """Headers of an Invoke signed by botocore as of `when`."""
    request = AWSRequest(
        method="POST",
        url=f"{url}{LAMBDA_INVOKE}",
        headers={"X-Amz-Invocation-Type": "Event", "X-Amz-Date": when.strftime("%Y%m%dT%H%M%SZ")},
        data=body,
    )
    request.context["timestamp"] = request.headers["X-Amz-Date"]
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET), "lambda", "us-east-1")
    signature = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    scope = f"{ACCESS_KEY}/{signer.credential_scope(request)}"
    signed = signer.signed_headers(signer.headers_to_sign(request))
    return {
        **dict(request.headers.items()),
        "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={signed}, "
        f"Signature={signature}",
    }


async def test_an_old_or_altered_signed_request_is_refused(tmp_path: Path) -> None:
    async with serving(tmp_path, TOKEN, KEYS) as url, aiohttp.ClientSession(url) as session:
        now = datetime.now(UTC)
        async with session.post(
            LAMBDA_INVOKE, headers=sigv4_headers(url, now, b"{}"), data=b"{}"
        ) as r:
            assert r.status == 202, await r.text()
        old = sigv4_headers(url, now - timedelta(minutes=20), b"{}")
        async with session.post(LAMBDA_INVOKE, headers=old, data=b"{}") as r:
            assert r.status == 403
            assert "clock" in (await r.json())["Message"]
        # The body is covered by the signature: another body with the same headers fails.
        fresh = sigv4_headers(url, now, b"{}")
        async with session.post(LAMBDA_INVOKE, headers=fresh, data=b'{"n": 2}') as r:
            assert r.status == 403
            assert r.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
            assert SECRET not in await r.text()
            assert hashlib.sha256(SECRET.encode()).hexdigest() not in await r.text()


def test_a_key_whose_secret_is_not_in_the_environment_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="CLOUDS_MISSING_SECRET"):
        load_access_keys([(ACCESS_KEY, "CLOUDS_MISSING_SECRET")], environ={})
    assert repr(load_access_keys([(ACCESS_KEY, "S")], environ={"S": SECRET})) != SECRET


def test_the_daemon_refuses_to_start_without_the_secret(
    tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> None:
    port = free_port()
    config = tmp_path / "triggers.yaml"
    config.write_text(
        "hub:\n"
        f"  store:\n    url: sqlite:///{tmp_path}/hub.db\n"
        f"  api:\n    listen: 127.0.0.1:{port}\n"
        f"    access_keys:\n      - id: {ACCESS_KEY}\n        secret_env: CLOUDS_UNSET_SECRET\n"
        "functions: {}\ntriggers: {}\n"
    )
    daemon = daemon_factory(config, tmp_path, api_port=port)
    code, stderr = daemon.refused()
    assert code != 0
    assert "CLOUDS_UNSET_SECRET" in stderr + daemon.log()
