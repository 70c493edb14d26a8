"""The two server-sent event feeds are documented in the OpenAPI schema: their media type and the
records their `data:` lines carry."""

from __future__ import annotations

from pathlib import Path

from api.app import create_app
from core.config import Settings


def test_the_live_feeds_name_their_event_payloads(tmp_path: Path) -> None:
    schema = create_app(Settings(data_dir=tmp_path, _env_file=None)).openapi()  # type: ignore[call-arg]
    monitor = schema["paths"]["/agent-monitor/api/stream"]["get"]["responses"]["200"]["content"]
    assert list(monitor) == ["text/event-stream"]
    payloads = {one["$ref"].rsplit("/", 1)[1] for one in monitor["text/event-stream"]["schema"]["anyOf"]}
    assert payloads == {"TurnRecord", "ToolRecord", "TransferRecord"}
    center = schema["paths"]["/call-center/api/events"]["get"]["responses"]["200"]["content"]
    assert center["text/event-stream"]["schema"]["$ref"] == "#/components/schemas/CallCenterEvent"
    components = schema["components"]["schemas"]
    assert {"TurnRecord", "ToolRecord", "TransferRecord", "ToolCallSummary", "CallCenterEvent"} <= set(components)
    assert "type" in components["CallCenterEvent"]["required"]
