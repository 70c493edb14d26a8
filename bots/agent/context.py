"""What one turn of the graph runs with (its `context_schema`): the caller's tool context, the turn's
trace, and where streamed text goes. Passed to `ainvoke(context=...)`, read by nodes from their
`Runtime`; the run config keeps only the checkpointer's thread id."""

from __future__ import annotations

from dataclasses import dataclass

from bots.agent.trace import TurnTrace
from bots.llm.providers import TextSink
from core.tools import ToolContext


@dataclass(frozen=True)
class TurnContext:
    ctx: ToolContext
    trace: TurnTrace
    on_text: TextSink | None = None
