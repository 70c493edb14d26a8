"""Operators' collectors on loopback, for the real client libraries to send to: an OpenTelemetry
collector (OTLP over HTTP, protobuf) and Sentry's ingest endpoint. Each keeps what it received, decoded."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def _body(raw: bytes) -> bytes:
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


@dataclass
class Collector:
    url: str
    spans: list[Any] = field(default_factory=list)  # opentelemetry.proto.trace.v1 Span messages
    resources: list[dict[str, str]] = field(default_factory=list)


@dataclass
class SentryIngest:
    dsn: str
    envelopes: list[str] = field(default_factory=list)


@asynccontextmanager
async def _serving(routes: list[web.RouteDef]) -> AsyncIterator[int]:
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@asynccontextmanager
async def otlp_collector() -> AsyncIterator[Collector]:
    """`POST /v1/traces` as an OpenTelemetry collector takes it; the spans are kept."""
    collector = Collector("")

    async def traces(request: web.Request) -> web.Response:
        message = ExportTraceServiceRequest()
        message.ParseFromString(_body(await request.read()))
        for resource_spans in message.resource_spans:
            collector.resources.append({a.key: a.value.string_value for a in resource_spans.resource.attributes})
            for scope in resource_spans.scope_spans:
                collector.spans.extend(scope.spans)
        return web.Response(body=b"", content_type="application/x-protobuf")

    async with _serving([web.post("/v1/traces", traces)]) as port:
        collector.url = f"http://127.0.0.1:{port}"
        yield collector


@asynccontextmanager
async def sentry_ingest() -> AsyncIterator[SentryIngest]:
    """Sentry's envelope endpoint for project 1; the envelopes are kept as text."""
    ingest = SentryIngest("")

    async def envelope(request: web.Request) -> web.Response:
        ingest.envelopes.append(_body(await request.read()).decode("utf-8", "replace"))
        return web.json_response({})

    async with _serving([web.post("/api/1/envelope/", envelope)]) as port:
        ingest.dsn = f"http://publickey@127.0.0.1:{port}/1"
        yield ingest
