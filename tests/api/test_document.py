"""The OpenAPI document is generated from the API's models and route table: it names every
field the server answers with, every route it serves, and every answer a route can give."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from hub.api.clouds import CLOUDS
from hub.console.paths import is_console_path
from tests.api.conftest import Api

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
