"""Calling domain tools the way the agent does (through run_tool) and reading the outcome."""

from __future__ import annotations

from typing import Any

from core.tools import ToolContext, ToolResult, ToolSpec, run_tool
from domains.registry import tools_by_name


async def call(ctx: ToolContext, tool_name: str, /, **arguments: Any) -> ToolResult:
    return await run_tool(tools_by_name()[tool_name], ctx, arguments)


def ok(result: ToolResult) -> Any:
    assert result.ok, result.error
    return result.content


def fails(result: ToolResult, *words: str) -> str:
    """The error sentence, after checking the call failed and the sentence mentions each word."""
    assert not result.ok, result.content
    assert result.error
    for word in words:
        assert word.lower() in result.error.lower(), result.error
    return result.error


def undocumented_arguments(specs: list[ToolSpec]) -> list[str]:
    """`tool.arg` for every model-facing argument whose schema has no description."""
    missing = []
    for spec in specs:
        assert spec.description.strip(), spec.name
        for name, prop in spec.input_schema().get("properties", {}).items():
            if not prop.get("description"):
                missing.append(f"{spec.name}.{name}")
    return missing
