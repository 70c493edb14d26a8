"""Fixtures of the bots tests: the fake OpenAI, Anthropic and Gemini servers, and settings for them."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.config import Settings
from tests.bots.cloud_llms import llm_settings
from tests.bots.outside_servers import PID_SERVER
from tests.fakes.gemini_server import FakeGeminiServer
from tests.fakes.llm_servers import (
    FakeAnthropicServer,
    FakeLLMServer,
    FakeOpenAIServer,
)


@pytest.fixture
async def openai_server() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
async def anthropic_server() -> AsyncIterator[FakeAnthropicServer]:
    async with FakeAnthropicServer() as server:
        yield server


@pytest.fixture
async def gemini_server() -> AsyncIterator[FakeGeminiServer]:
    async with FakeGeminiServer() as server:
        yield server


@pytest.fixture
def servers(
    openai_server: FakeOpenAIServer, anthropic_server: FakeAnthropicServer, gemini_server: FakeGeminiServer
) -> dict[str, FakeLLMServer]:
    return {"openai": openai_server, "anthropic": anthropic_server, "google": gemini_server}


@pytest.fixture
def clouds(
    tmp_path: Path,
    openai_server: FakeOpenAIServer,
    anthropic_server: FakeAnthropicServer,
    gemini_server: FakeGeminiServer,
) -> Settings:
    """Every cloud provider configured against its fake, in the order OpenAI, Anthropic, Gemini."""
    return llm_settings(
        tmp_path,
        llm_providers=["openai", "anthropic", "google"],
        openai_api_key="sk-test",
        openai_base_url=openai_server.base_url,
        anthropic_api_key="sk-ant-test",
        anthropic_base_url=anthropic_server.base_url,
        google_api_key="g-test",
        google_base_url=gemini_server.base_url,
    )


@pytest.fixture
def pid_script(tmp_path: Path) -> Path:
    script = tmp_path / "pid_server.py"
    script.write_text(PID_SERVER)
    return script


@pytest.fixture
def pid_server(pid_script: Path) -> dict[str, object]:
    return {"transport": "stdio", "command": sys.executable, "args": [str(pid_script), str(pid_script.parent / "DOWN")]}
