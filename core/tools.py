"""Tools: one typed async function per action, three doors (agent, MCP, REST/dashboards).

A tool is `async def name(ctx: ToolContext, <typed args>) -> JSON-able`. `@tool(...)` turns it
into a `ToolSpec` carrying a pydantic model of its arguments (the schema the model and MCP
clients see) without changing the function. `run_tool` is the single way to call one: it
validates arguments, applies the time budget, turns domain errors into a sentence the model
can act on, and reports what happened (name, arguments, elapsed, ok) to listeners such as
the Agent Monitor.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.background import BackgroundTasks
from core.clients import Clients
from core.config import Settings
from core.db import SessionFactory
from core.errors import DomainError, Question
from core.logging import describe_error, report_exception
from core.runtime import Runtime
from core.store import Store
from core.timeutil import utcnow

log = logging.getLogger(__name__)

ToolFunc = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class TransferRequest:
    """The caller asked for a person (`transfer_to_agent`); the call's channel carries it out after the turn."""

    department: str
    extension: str = ""
    reason: str = ""
    user_id: str | None = None
    call_sid: str | None = None
    thread_id: str | None = None
    channel: str = "text"


@dataclass
class ToolContext:
    """Who is calling and with what: never part of a tool's model-facing arguments."""

    user_id: uuid.UUID
    sessions: SessionFactory
    store: Store
    settings: Settings
    channel: str = "text"  # text | phone | browser | mcp | api
    call_sid: str | None = None
    thread_id: str | None = None
    background: BackgroundTasks = field(default_factory=BackgroundTasks)
    clock: Callable[[], datetime] = utcnow
    listeners: list[Callable[[ToolEvent], Awaitable[None]]] = field(default_factory=list)
    caller_name: str | None = None  # how the agent may address the caller
    transfer: TransferRequest | None = None  # set by the transfer tool during a turn
    clients: Clients = field(default_factory=Clients)  # the runtime's, from `for_user`
    contact_id: uuid.UUID | None = None
    """Set on a public line: the caller is this contact (`core.contacts`), and proves a booking by its code."""
    domains: tuple[str, ...] | None = None
    """The business domains the call's line serves (None: all); the agent routes and calls tools only there."""
    line_name: str | None = None
    """The name of the business line the caller reached (`core.models.Line`), for the agent to answer as."""

    def serves(self, domain: str) -> bool:
        """Whether this caller's line serves `domain` (transfer to a person is served everywhere)."""
        return self.domains is None or domain in self.domains or domain == "transfer"

    @property
    def zone(self) -> tzinfo:
        return ZoneInfo(self.settings.timezone)

    def now_local(self) -> datetime:
        """The caller's wall-clock time, naive, for reading "tomorrow at two"."""
        return self.clock().astimezone(self.zone).replace(tzinfo=None)


    @classmethod
    def for_user(cls, runtime: Runtime, user_id: uuid.UUID, **kwargs: Any) -> ToolContext:
        return cls(
            user_id=user_id,
            sessions=runtime.sessions,
            store=runtime.store,
            settings=runtime.settings,
            background=runtime.background,
            clients=runtime.clients,
            **kwargs,
        )


@dataclass(frozen=True)
class ToolSpec:
    name: str
    domain: str
    func: ToolFunc
    description: str
    args_model: type[BaseModel]
    mutates: bool

    def input_schema(self) -> dict[str, Any]:
        schema = self.args_model.model_json_schema()
        schema.pop("title", None)
        return schema


@dataclass(frozen=True)
class ToolEvent:
    """One finished tool call, as the monitor shows it."""

    name: str
    domain: str
    arguments: dict[str, Any]
    ok: bool
    result: Any
    error: str | None
    elapsed_ms: float
    started_at: datetime
    call_sid: str | None
    thread_id: str | None
    user_id: str

    def as_json(self) -> dict[str, Any]:
        """The call as a turn's JSON lists it (the assistant API, `convonet say`): what ran, with
        which arguments, and how it went."""
        return {"name": self.name, "arguments": self.arguments, "ok": self.ok, "error": self.error,
                "elapsed_ms": round(self.elapsed_ms, 2), "result": self.result}


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    content: Any  # the tool's JSON-able result, or None
    error: str | None  # a sentence for the model/caller when not ok
    asks: tuple[str, ...] = ()  # when the error is a question (`core.errors.Question`): the arguments it asks for

    def for_model(self) -> Any:
        if self.ok:
            return self.content
        return {"error": self.error, "asks": list(self.asks)} if self.asks else {"error": self.error}


def tool(domain: str, *, mutates: bool = True) -> Callable[[ToolFunc], ToolSpec]:
    """Describe a tool function; its docstring is written for the model that will call it."""

    def wrap(func: ToolFunc) -> ToolSpec:
        hints = get_type_hints(func, include_extras=True)
        fields: dict[str, Any] = {}
        for i, (name, param) in enumerate(inspect.signature(func).parameters.items()):
            if i == 0:
                continue  # ctx
            annotation = hints.get(name, Any)
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[name] = (annotation, default)
        model = create_model(
            f"{func.__name__}_args", __config__=ConfigDict(extra="forbid"), **fields
        )
        return ToolSpec(
            name=func.__name__,
            domain=domain,
            func=func,
            description=inspect.cleandoc(func.__doc__ or func.__name__),
            args_model=model,
            mutates=mutates,
        )

    return wrap


def _validation_sentence(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "arguments"
        problems.append(f"{where}: {error['msg']}")
    return "I could not use those details (" + "; ".join(problems) + ")."


async def run_tool(spec: ToolSpec, ctx: ToolContext, arguments: dict[str, Any] | None) -> ToolResult:
    """Call a tool safely: nothing escapes but a ToolResult, and a failed call writes nothing."""
    arguments = dict(arguments or {})
    started_at = ctx.clock()
    t0 = time.perf_counter()
    content: Any = None
    error: str | None = None
    asks: tuple[str, ...] = ()
    try:
        if not ctx.serves(spec.domain):
            raise DomainError("That isn't something I can help with on this line.")
        args = spec.args_model.model_validate(arguments)
        values = {name: getattr(args, name) for name in spec.args_model.model_fields}
        content = await asyncio.wait_for(spec.func(ctx, **values), timeout=ctx.settings.tool_timeout_seconds)
    except ValidationError as exc:
        error = _validation_sentence(exc)
    except Question as exc:
        error, asks = exc.message, exc.fills
    except DomainError as exc:
        error = exc.message
    except TimeoutError:
        error = "That took too long, so I stopped it; nothing was changed. Please try again."
    except IntegrityError:
        error = "That clashes with something that already exists."
    except (DBAPIError, OSError) as exc:
        log.error("tool %s: database unavailable: %s", spec.name, describe_error(exc))
        report_exception(exc)
        error = "I can't reach the database right now; nothing was changed. Please try again shortly."
    except Exception as exc:  # a bug in a tool must not end the caller's turn
        log.exception("tool %s failed", spec.name)
        report_exception(exc)
        error = "Something went wrong on my side with that request; nothing was changed."
    result = ToolResult(ok=error is None, content=content, error=error, asks=asks)
    await report_tool_call(ctx, spec.name, spec.domain, arguments, started_at, t0, content, error)
    return result


# What a tool call's record keeps of its arguments and result: the monitor, its live feeds and the
# call records copy it to every staff screen, so a 50 MB description must not travel with it.
RECORD_TEXT_CHARS = 500
RECORD_ITEMS = 50
RECORD_DEPTH = 6


def capped(value: Any, depth: int = 0) -> Any:
    """`value` with long strings cut to RECORD_TEXT_CHARS, long lists to RECORD_ITEMS, deep nesting elided."""
    if isinstance(value, str):
        return value if len(value) <= RECORD_TEXT_CHARS else value[:RECORD_TEXT_CHARS] + "…"
    if depth >= RECORD_DEPTH and isinstance(value, dict | list | tuple):
        return "…"
    if isinstance(value, dict):
        items = list(value.items())
        kept = {str(k)[:RECORD_TEXT_CHARS]: capped(v, depth + 1) for k, v in items[:RECORD_ITEMS]}
        if len(items) > RECORD_ITEMS:
            kept["…"] = f"{len(items) - RECORD_ITEMS} more"
        return kept
    if isinstance(value, list | tuple):
        kept_list = [capped(v, depth + 1) for v in value[:RECORD_ITEMS]]
        return [*kept_list, f"… {len(value) - RECORD_ITEMS} more"] if len(value) > RECORD_ITEMS else kept_list
    return value


async def report_tool_call(ctx: ToolContext, name: str, domain: str, arguments: dict[str, Any], started_at: datetime,
                           t0: float, content: Any, error: str | None) -> None:
    """Tell the context's listeners (the turn's record, the Agent Monitor) that a tool call finished;
    `t0` is its `time.perf_counter()` start. Used for our tools and for outside MCP servers' alike.
    Arguments and result are `capped` (the tool itself saw them whole)."""
    event = ToolEvent(
        name=name,
        domain=domain,
        arguments=capped(arguments),
        ok=error is None,
        result=capped(content),
        error=error,
        elapsed_ms=(time.perf_counter() - t0) * 1000,
        started_at=started_at,
        call_sid=ctx.call_sid,
        thread_id=ctx.thread_id,
        user_id=str(ctx.user_id),
    )
    for listener in ctx.listeners:
        try:
            await listener(event)
        except Exception:  # a broken monitor must not break the call
            log.exception("tool listener failed")
