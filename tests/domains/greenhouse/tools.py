"""The greenhouse's one tool."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from core.errors import Invalid
from core.tools import ToolContext, tool


@tool("greenhouse")
async def water_plant(ctx: ToolContext, plant: Annotated[str, Field(description="The plant to water.")]) -> dict[str, Any]:
    """Water one plant in the caller's greenhouse."""
    if not plant.strip():
        raise Invalid("Which plant?")
    return {"plant": plant.strip(), "watered": True, "by": str(ctx.user_id)}


TOOLS = [water_plant]
