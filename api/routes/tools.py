"""Every tool through the REST door: list them with their schemas, run one as the logged-in user.

The tool-execution page builds its forms from `GET /api/tools`. A run goes through `run_tool`
like the agent's and MCP's calls do, and is published to the Agent Monitor as a "tool" record.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ValidationError

from api.deps import CurrentUser, RuntimeDep
from api.web import page as serve_page
from core import monitor
from core.tools import ToolContext, ToolEvent, ToolSpec, run_tool
from domains.registry import tools_by_name

router = APIRouter(tags=["tools"])


class ToolOut(BaseModel):
    name: str
    domain: str
    description: str
    mutates: bool
    input_schema: dict[str, Any]

    @classmethod
    def of(cls, spec: ToolSpec) -> ToolOut:
        return cls(
            name=spec.name,
            domain=spec.domain,
            description=spec.description,
            mutates=spec.mutates,
            input_schema=spec.input_schema(),
        )


class ToolRunOut(BaseModel):
    ok: bool
    result: Any
    error: str | None
    elapsed_ms: float


@router.get("/tool-execution", include_in_schema=False)
async def tool_execution_page() -> FileResponse:
    return serve_page("tool_execution")


@router.get("/api/tools")
async def list_tools(_user: CurrentUser) -> list[ToolOut]:
    return [ToolOut.of(spec) for spec in tools_by_name().values()]


@router.post("/api/tools/{name}")
async def call_tool(
    name: str,
    runtime: RuntimeDep,
    user: CurrentUser,
    arguments: Annotated[dict[str, Any] | None, Body(description="The tool's arguments, as its schema says.")] = None,
) -> ToolRunOut:
    """Run a tool as the caller. Arguments that do not fit the schema are a 422 and run nothing;
    a tool that runs and refuses (not found, not allowed) answers `ok: false` with its sentence."""
    spec = tools_by_name().get(name)
    if spec is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No tool named {name!r}")
    try:
        spec.args_model.model_validate(arguments or {})
    except ValidationError as exc:
        problems = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors(include_url=False)
        ]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, problems) from None
    ctx = ToolContext.for_user(runtime, user.id, channel="api", caller_name=user.first_name or user.username)
    finished: list[ToolEvent] = []

    async def keep(event: ToolEvent) -> None:
        finished.append(event)

    ctx.listeners += [keep, monitor.tool_listener(runtime.store, ctx.channel)]
    result = await run_tool(spec, ctx, arguments)
    elapsed_ms = round(finished[0].elapsed_ms, 2) if finished else 0.0
    return ToolRunOut(ok=result.ok, result=result.content, error=result.error, elapsed_ms=elapsed_ms)
