"""Staff manage the business's phone lines: which number answers, with what greeting, for which
domains, and whether callers need a PIN (`core.lines`). Staff only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import SessionDep, get_staff_user
from core import lines
from core.errors import Conflict
from core.models import Line
from domains import registry

router = APIRouter(prefix="/api/staff/lines", tags=["staff"], dependencies=[Depends(get_staff_user)])

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Greeting = Annotated[str, StringConstraints(max_length=lines.MAX_GREETING)]
Access = Literal["pin", "public"]
DomainName = Annotated[str, StringConstraints(max_length=40)]


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: Annotated[str, StringConstraints(max_length=32)]
    name: Name
    domains: list[DomainName] = Field(default=[], max_length=20)
    greeting: Greeting | None = None
    access: Access = "pin"


class LinePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    domains: list[DomainName] | None = Field(default=None, max_length=20)
    greeting: Greeting | None = None
    access: Access | None = None


class LineOut(BaseModel):
    id: uuid.UUID
    number: str
    name: str
    domains: list[str]
    greeting: str | None
    access: Access
    created_at: datetime
    updated_at: datetime


def _out(line: Line) -> LineOut:
    return LineOut.model_validate(line, from_attributes=True)


async def _line(session: SessionDep, line_id: uuid.UUID) -> Line:
    line = await session.get(Line, line_id)
    if line is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such line.")
    return line


@router.get("")
async def list_lines(session: SessionDep) -> list[LineOut]:
    return [_out(line) for line in await lines.list_lines(session)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_line(body: LineIn, session: SessionDep) -> LineOut:
    if await lines.get_line(session, body.number) is not None:
        raise Conflict("That number already has a line; change it instead.")
    line, _ = await lines.set_line(
        session, body.number, known_domains=registry.names(), name=body.name, domains=body.domains,
        greeting=body.greeting, access=body.access,
    )
    return _out(line)


@router.patch("/{line_id}")
async def update_line(line_id: uuid.UUID, body: LinePatch, session: SessionDep) -> LineOut:
    line = await _line(session, line_id)
    changed, _ = await lines.set_line(
        session, line.number, known_domains=registry.names(), name=body.name, domains=body.domains,
        greeting=body.greeting, access=body.access,
    )
    return _out(changed)


@router.delete("/{line_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_line(line_id: uuid.UUID, session: SessionDep) -> None:
    line = await _line(session, line_id)
    await lines.delete_line(session, line.number)
