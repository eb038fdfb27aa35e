"""A real OTLP/HTTP trace receiver for tests: an aiohttp server on a free loopback port that
decodes each `ExportTraceServiceRequest` (protobuf) the hub posts to `/v1/traces`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status as ProtoStatus

from tests.servers.process import free_port

KIND = {
    ProtoSpan.SPAN_KIND_INTERNAL: "internal",
    ProtoSpan.SPAN_KIND_SERVER: "server",
    ProtoSpan.SPAN_KIND_CLIENT: "client",
    ProtoSpan.SPAN_KIND_PRODUCER: "producer",
    ProtoSpan.SPAN_KIND_CONSUMER: "consumer",
}
STATUS = {
    ProtoStatus.STATUS_CODE_UNSET: "unset",
    ProtoStatus.STATUS_CODE_OK: "ok",
    ProtoStatus.STATUS_CODE_ERROR: "error",
}


@dataclass(slots=True)
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: str
    status: str
    status_message: str
    attributes: dict[str, Any]
    links: list[tuple[str, str]]
    resource: dict[str, Any]
    start_ns: int
    end_ns: int


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, which) if which else None


def _attributes(attributes: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in attributes}


@dataclass
class Collector:
    spans: list[ReceivedSpan] = field(default_factory=list)
    requests: int = 0
    content_types: set[str] = field(default_factory=set)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.content_types.add(request.content_type)
        export = ExportTraceServiceRequest()
        export.ParseFromString(await request.read())
        for resource_spans in export.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        ReceivedSpan(
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            kind=KIND[span.kind],
                            status=STATUS[span.status.code],
                            status_message=span.status.message,
                            attributes=_attributes(span.attributes),
                            links=[
                                (link.trace_id.hex(), link.span_id.hex()) for link in span.links
                            ],
                            resource=resource,
                            start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano,
                        )
                    )
        self.arrived.set()
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(),
            content_type="application/x-protobuf",
        )

    def named(self, name: str) -> list[ReceivedSpan]:
        return sorted(
            (s for s in self.spans if s.name == name), key=lambda s: (s.start_ns, s.end_ns)
        )


async def start_collector() -> tuple[Collector, web.AppRunner]:
    collector = Collector(port=free_port())
    app = web.Application()
    app.router.add_post("/v1/traces", collector.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", collector.port).start()
    return collector, runner


@pytest.fixture
async def collector() -> AsyncIterator[Collector]:
    """A receiver on a free port, stopped after the test."""
    collector, runner = await start_collector()
    try:
        yield collector
    finally:
        await runner.cleanup()
