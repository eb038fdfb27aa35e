"""The OpenAPI document is generated from the API's models and route table: it names every
field the server answers with, every route it serves, and every answer a route can give."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema_rs
import pytest

from hub import Hub
from hub.api import ApiServer, create_app
from hub.api.clouds import CLOUDS
from hub.console.paths import is_console_path
from tests.api.conftest import FUNCTIONS, MAX_BODY, Api, hub_settings

STRUCTURED = {"Content-Type": "application/cloudevents+json"}
EVENT = {"specversion": "1.0", "id": "e-1", "source": "/s", "type": "t", "orderingkey": "k"}


async def _document(api: Api) -> dict[str, Any]:
    async with api.session.get("/v1/openapi.json") as resp:
        assert resp.status == 200
        document: dict[str, Any] = await resp.json()
    return document


@pytest.mark.timeout(30)
async def test_an_invocation_answer_has_exactly_the_documented_fields(api: Api) -> None:
    async with api.session.post(
        "/v1/functions/echo/invocations", json=EVENT, headers=STRUCTURED
    ) as resp:
        assert resp.status == 202, await resp.text()
        invocation_id = (await resp.json())["id"]
    async with api.session.get(f"/v1/invocations/{invocation_id}") as resp:
        answer = await resp.json()
    assert answer["ordering_key"] == "k"
    schema = (await _document(api))["components"]["schemas"]["Invocation"]
    assert set(schema["properties"]) == set(answer)
    assert set(schema["required"]) == set(answer)


@pytest.mark.timeout(30)
async def test_every_served_route_is_documented_and_every_documented_one_served(
    api: Api,
) -> None:
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in api.server.app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        # The clouds' APIs are theirs, documented by their vendors, not in the hub's document.
        and not any(cloud.paths.match(route.resource.canonical) for cloud in CLOUDS)
        # The web console's pages are HTML for people, not part of the JSON API.
        and not is_console_path(route.resource.canonical)
    }
    paths = (await _document(api))["paths"]
    documented = {(method, path) for path, item in paths.items() for method in item}
    # A webhook kind documents its own body at /v1/hooks/<kind>/{trigger}; the generic route
    # serves it.
    specialised = {
        (method, path)
        for method, path in documented - served
        if path.startswith("/v1/hooks/") and ("post", "/v1/hooks/{kind}/{trigger}") in served
    }
    assert served == documented - specialised
    assert specialised == {("post", "/v1/hooks/audit/{trigger}")}


@pytest.mark.timeout(30)
async def test_the_answers_of_a_slow_body_a_drain_and_a_full_store_are_documented(
    api: Api,
) -> None:
    paths = (await _document(api))["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            responses = operation["responses"]
            if "requestBody" in operation:
                assert {"408", "413"} <= set(responses), (method, path)
            if method == "post":
                for status in ("503", "507"):
                    assert "Retry-After" in responses[status]["headers"], (method, path)


def test_a_plugin_route_is_documented_with_the_answers_every_route_gives() -> None:
    from hub.api.openapi import openapi_document
    from triggers.audit.kubernetes.openapi import OPERATION, PATH

    document = openapi_document(auth=True, extra_paths={PATH: {"post": OPERATION}})
    responses = document["paths"][PATH]["post"]["responses"]
    assert {"401", "408", "413", "503", "507"} <= set(responses)
    assert responses["503"] == OPERATION["responses"]["503"]  # the plugin's own words win


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("event", "valid"),
    [
        ({**EVENT, "data": {"an": ["object"]}}, True),
        ({**EVENT, "traceparent": "00-1-2-01", "count": 3, "flag": True}, True),
        ({**EVENT, "nested": {"an": "object"}}, False),
        ({**EVENT, "toolongforanextensionname": "x"}, False),
    ],
)
async def test_the_document_takes_any_data_and_holds_extensions_to_their_types(
    api: Api, event: dict[str, Any], valid: bool
) -> None:
    """patternProperties applies beside properties: the extension-name pattern must leave the
    spec's own attributes out, or `data` would have to be an extension's value too."""
    document = await _document(api)
    schemas = document["components"]["schemas"]
    for name, instance in (("CloudEventIn", event), ("CloudEventBatchIn", [event])):
        schema = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": schemas}}
        assert jsonschema_rs.validator_for(schema).is_valid(instance) is valid, (name, event)


@pytest.fixture
async def tokenless(tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an API with no token: it answers loopback hosts and pages only."""
    async with Hub(hub_settings(tmp_path), FUNCTIONS) as hub:
        server = ApiServer(create_app(hub, token=None, max_body_bytes=MAX_BODY))
        await server.start("127.0.0.1", 0)
        try:
            yield server.url
        finally:
            await server.stop()


@pytest.mark.timeout(60)
async def test_the_refusals_of_other_sites_without_a_token_are_documented(tokenless: str) -> None:
    """Every documented operation of a token-less API refuses a request naming another host,
    and one that changes something refuses another site's page, as its 403 documents."""
    async with aiohttp.ClientSession(tokenless) as session:
        async with session.get("/v1/openapi.json") as resp:
            document = await resp.json()
        error = {"$ref": "#/components/schemas/Error", "components": document["components"]}
        refused = []
        for path, item in document["paths"].items():
            for method, operation in item.items():
                url = re.sub(r"\{[^}]+\}", "x", path)
                asked = [{"Host": "attacker.example"}]
                if method != "get":
                    asked.append({"Origin": "https://attacker.example"})
                for headers in asked:
                    async with session.request(method, url, json={}, headers=headers) as resp:
                        if operation.get("security") == []:  # the probes answer anyone
                            assert resp.status != 403, (method, path, headers)
                            continue
                        assert resp.status == 403, (method, path, headers, await resp.text())
                        assert "403" in operation["responses"], (method, path)
                        body = await resp.json()
                        assert jsonschema_rs.validator_for(error).is_valid(body), body
                        refused.append((method, path))
    assert ("post", "/v1/functions/{name}/invocations") in refused
