"""Transfer tools. The tool records the request; the call's pipeline (or the call center) carries it out."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from core.errors import Invalid
from core.tools import ToolContext, TransferRequest, tool


def departments(ctx: ToolContext) -> dict[str, str]:
    return {name.lower(): ext for name, ext in ctx.settings.transfer_departments.items()}


@tool("transfer")
async def transfer_to_agent(
    ctx: ToolContext,
    department: Annotated[str, Field(description="Which department: see get_available_departments.")] = "support",
    reason: Annotated[str, Field(description="Why the caller wants a person, in a few words.", max_length=500)] = "",
) -> dict[str, Any]:
    """Hand the caller to a human agent. Use when the caller asks for a person or you cannot help."""
    known = departments(ctx)
    wanted = department.strip().lower() or "support"
    if wanted not in known:
        names = ", ".join(sorted(known))
        raise Invalid(f"There is no {department} department. I can transfer you to {names}.")
    ctx.transfer = TransferRequest(  # the voice session acts on it after the turn
        department=wanted,
        extension=known[wanted],
        reason=reason.strip(),
        user_id=str(ctx.user_id),
        call_sid=ctx.call_sid,
        thread_id=ctx.thread_id,
        channel=ctx.channel,
    )
    return {"transferring": True, "department": wanted, "extension": known[wanted]}


@tool("transfer", mutates=False)
async def get_available_departments(ctx: ToolContext) -> dict[str, Any]:
    """List the departments a caller can be transferred to."""
    return {"departments": [{"name": n, "extension": e} for n, e in sorted(departments(ctx).items())]}


TOOLS = [transfer_to_agent, get_available_departments]
