"""Adding a domain is one package and one registry line: a throwaway sixth domain (the greenhouse
fixture package, one tool and its grammar) is picked up by the grammar, the agent, the MCP server
and the Agent Monitor with nothing else changed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from mcp.shared.memory import create_connected_server_and_client_session
from mcp.types import TextContent

from api.mcp_server import build_server, fixed_identity
from bots.agent.agent import Agent
from bots.agent.router import route
from core.grammar import registry as grammar_registry
from core.runtime import Runtime
from core.tools import ToolContext
from domains import registry
from domains.domain import Domain
from tests.domains.greenhouse import DOMAIN as GREENHOUSE
from tests.helpers import register

NOW = datetime(2026, 11, 23, 10, 0)


@pytest.fixture
def greenhouse(monkeypatch: pytest.MonkeyPatch) -> Iterator[Domain]:
    """The registry with the sixth domain's one line added; the app hands the grammars to core as it
    does at start-up, and the five-domain set is back afterwards."""
    monkeypatch.setattr(registry, "DOMAINS", (*registry.DOMAINS, GREENHOUSE))
    previous = grammar_registry.install(registry.grammar_set())
    yield GREENHOUSE
    if previous is not None:
        grammar_registry.install(previous)


def test_without_its_line_the_domain_is_nowhere() -> None:
    assert "greenhouse" not in registry.names()
    assert "water_plant" not in registry.tools_by_name()
    reading = grammar_registry.interpret("water the tomatoes in the greenhouse", NOW)
    assert reading is None or reading.tool != "water_plant"


def test_the_grammar_reads_it(greenhouse: Domain) -> None:
    assert grammar_registry.domains()[-1] == "greenhouse"
    reading = grammar_registry.interpret("please water my greenhouse orchids", NOW)
    assert reading is not None
    assert (reading.domain, reading.tool, reading.args) == ("greenhouse", "water_plant", {"plant": "orchids"})
    words = grammar_registry.tool_words("water_plant")
    assert words is not None and words.done == ("I watered the {plant}.",)
    assert route("hmm, my seedlings", None, NOW) == "greenhouse"


async def test_the_agent_routes_to_it_and_calls_its_tool(greenhouse: Domain, runtime: Runtime,
                                                          client: httpx.AsyncClient) -> None:
    account = await register(client)
    async with Agent.open(runtime) as agent:
        session = agent.session(ToolContext.for_user(runtime, uuid.UUID(account.id)))
        result = await session.turn("water the tomatoes in the greenhouse")
    assert result.domain == "greenhouse"
    assert [(c.name, c.arguments) for c in result.tool_calls] == [("water_plant", {"plant": "tomatoes"})]
    assert result.tool_calls[0].ok and "watered the tomatoes" in result.reply.lower()


async def test_the_mcp_server_offers_it_and_the_monitor_shows_it(greenhouse: Domain, runtime: Runtime,
                                                                 client: httpx.AsyncClient) -> None:
    account = await register(client)
    async with Agent.open(runtime) as opened:

        async def agent() -> Agent:
            return opened

        server = build_server(runtime, fixed_identity(uuid.UUID(account.id)), agent)
        async with create_connected_server_and_client_session(server) as mcp:
            listed = {tool.name: tool for tool in (await mcp.list_tools()).tools}
            assert "water_plant" in listed
            assert listed["water_plant"].inputSchema["required"] == ["plant"]
            direct = await mcp.call_tool("water_plant", {"plant": "basil"})
            assert not direct.isError
            assert isinstance(direct.content[0], TextContent)
            assert json.loads(direct.content[0].text)["plant"] == "basil"
            asked = await mcp.call_tool("ask_assistant", {"text": "water the figs in the greenhouse"})
            assert isinstance(asked.content[0], TextContent)
            reply = json.loads(asked.content[0].text)
            assert reply["domain"] == "greenhouse" and [c["name"] for c in reply["tool_calls"]] == ["water_plant"]

    stats = (await client.get("/agent-monitor/api/stats", headers=account.auth)).json()
    assert stats["filters"]["domains"][-1] == "greenhouse"
    shown = (await client.get("/agent-monitor/api/interactions", params={"domain": "greenhouse"},
                              headers=account.auth)).json()
    assert [(i["type"], i["name"], i["arguments"]) for i in shown["items"]] == [  # newest first
        ("tool", "water_plant", {"plant": "figs"}),  # through the assistant
        ("tool", "water_plant", {"plant": "basil"}),  # called directly over MCP: shown too
    ]
