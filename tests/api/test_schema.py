"""Property-based conformance of the server to its own OpenAPI document (schemathesis)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import settings

from hub import Hub
from hub.api import ApiServer, create_app
from hub.api.app import plugin_openapi_paths
from hub.api.openapi import openapi_document
from hub.api.schedule import DELAY_HEADER, NOT_BEFORE_HEADER
from hub.engine import MAX_DELAY
from hub.timefmt import parse_rfc3339, to_rfc3339
from tests.api.conftest import AUTH, FUNCTIONS, MAX_BODY, TOKEN, TRIGGERS, hub_settings

START_TIMEOUT = 30.0


class LiveApi:
    """The hub and its API served from a thread of their own, because schemathesis drives
    the server with blocking requests from the test's thread."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.url = ""
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="live-api", daemon=True)

    def __enter__(self) -> LiveApi:
        self._thread.start()
        if not self._started.wait(START_TIMEOUT) or self._error is not None:
            raise RuntimeError("the live API did not start") from self._error
        return self

    def __exit__(self, *_: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(START_TIMEOUT)
        assert not self._thread.is_alive(), "the live API did not stop"
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self._error = exc
            self._started.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with Hub(hub_settings(self.tmp_path), FUNCTIONS) as hub:
            app = create_app(
                hub, token=TOKEN, max_body_bytes=MAX_BODY, triggers_status=lambda: TRIGGERS
            )
            server = ApiServer(app)
            await server.start("127.0.0.1", 0)
            try:
                self.url = server.url
                self._started.set()
                await self._stop.wait()
            finally:
                await server.stop()


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    with LiveApi(tmp_path_factory.mktemp("live-api")) as live:
        yield live


# Loaded at import, not from a fixture: schemathesis's lazy fixture loader does not work with
# pytest 9 (it sets a private node attribute that is gone). The test below proves the server
# serves exactly this document.
# Every built-in check runs, with two exceptions for the invoke operation, where schemathesis's
# heuristics do not fit an HTTP endpoint that takes arbitrary headers:
# - positive_data_acceptance is off: some rules cannot be written in JSON Schema (a not-before
#   time at most 7 days ahead, valid percent-encoding in ce-* headers, not both data and
#   data_base64), so a schema-valid request there may rightly get a 400;
# - no made-up extra headers are sent as "negative" data: HTTP servers must accept headers they
#   do not know (proxies and tracing add them), so accepting one is not a bug.
CONFIG = schemathesis.Config.from_dict(
    {
        # Given as the document's security scheme, so that schemathesis knows which requests
        # carry it and can check that leaving it out is refused.
        "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
        "checks": {"max_response_time": 5.0},
        "operations": [
            {
                "include-operation-id": "invoke",
                "generation": {"allow-extra-parameters": False},
            }
        ],
    }
)
schema = schemathesis.openapi.from_dict(openapi_document(auth=True), config=CONFIG)


INVOKED = itertools.cycle(["echo", "refuse-once", "script"])


def aim_at_functions(case: schemathesis.Case[Any]) -> None:
    """Aim most invocations at configured functions: the coverage phase names a function "0",
    and a 404 would hide everything its bodies and headers exercise."""
    name = (case.path_parameters or {}).get("name")
    if name is not None and name not in FUNCTIONS and len(str(name)) % 5:
        case.path_parameters = {**(case.path_parameters or {}), "name": next(INVOKED)}


def keep_the_rules_json_schema_cannot_state(case: schemathesis.Case[Any]) -> None:
    """Two rules of the invoke operation are in its descriptions only, since a JSON Schema
    cannot state them: not both deferral headers, and a not-before time at most 7 days ahead.
    A request generated as valid is made to keep them (test_invoke tests their 400s); one
    generated as invalid is left as it is."""
    if case.meta is None or not case.meta.generation.mode.is_positive or not case.headers:
        return
    headers = {name.lower(): name for name in case.headers}
    delay, not_before = headers.get(DELAY_HEADER.lower()), headers.get(NOT_BEFORE_HEADER.lower())
    if delay is not None and not_before is not None:
        del case.headers[not_before]
    elif not_before is not None:
        try:
            ahead = parse_rfc3339(case.headers[not_before]) - time.time()
        except (ValueError, OverflowError):
            return  # not the server's idea of RFC 3339: let the check report it
        if ahead > MAX_DELAY - 60:
            case.headers[not_before] = to_rfc3339(time.time() + 60) or ""


DOCUMENT = openapi_document(auth=True)
INVOKE = DOCUMENT["paths"]["/v1/functions/{name}/invocations"]["post"]
LIST = DOCUMENT["paths"]["/v1/invocations"]["get"]
CLOUDEVENT = b'{"id": "e", "source": "/s", "type": "t"}'


def parameter_schema(operation: dict[str, Any], name: str) -> dict[str, Any]:
    [parameter] = [p for p in operation["parameters"] if p["name"] == name]
    schema: dict[str, Any] = parameter["schema"]
    return schema


@pytest.mark.parametrize(
    ("header", "value", "content_type"),
    [
        (DELAY_HEADER, "1_000", "application/json"),
        (DELAY_HEADER, "-0", "application/json"),
        (DELAY_HEADER, "1e2", "application/json"),
        (DELAY_HEADER, "0.25", "application/json"),
        (DELAY_HEADER, "604800", "application/json"),
        ("ce-type", "", "application/cloudevents+json"),
        ("ce-source", "", "application/cloudevents+json"),
        ("ce-subject", "50%", "text/plain"),
        ("ce-subject", "caf%C3%A9", "text/plain"),
    ],
)
def test_the_server_answers_a_header_as_the_document_says(
    live_api: LiveApi, header: str, value: str, content_type: str
) -> None:
    valid = jsonschema_rs.validator_for(parameter_schema(INVOKE, header)).is_valid(value)
    response = requests.post(
        f"{live_api.url}/v1/functions/echo/invocations",
        headers={**AUTH, header: value, "Content-Type": content_type},
        data=CLOUDEVENT,
        timeout=10,
    )
    assert (valid, response.status_code) in {(True, 202), (False, 400)}, response.text


@pytest.mark.parametrize("function", ["echo", "a\x00b"])
def test_the_server_answers_a_query_as_the_document_says(live_api: LiveApi, function: str) -> None:
    valid = jsonschema_rs.validator_for(parameter_schema(LIST, "function")).is_valid(function)
    response = requests.get(
        f"{live_api.url}/v1/invocations", params={"function": function}, headers=AUTH, timeout=10
    )
    assert (valid, response.status_code) in {(True, 200), (False, 400)}, response.text
    assert str(response.status_code) in LIST["responses"]


def test_the_served_document_is_the_one_tested(live_api: LiveApi) -> None:
    served = requests.get(f"{live_api.url}/v1/openapi.json", headers=AUTH, timeout=10)
    assert served.status_code == 200
    # Plugins imported elsewhere in the session (the audit webhook) add their paths.
    assert served.json() == openapi_document(auth=True, extra_paths=plugin_openapi_paths())


@schema.parametrize()
@settings(max_examples=25, deadline=timedelta(seconds=5))
def test_server_conforms_to_its_openapi_document(
    live_api: LiveApi, case: schemathesis.Case[Any]
) -> None:
    aim_at_functions(case)
    keep_the_rules_json_schema_cannot_state(case)
    case.call_and_validate(base_url=live_api.url, timeout=10)
