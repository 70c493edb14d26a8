"""What the graph keeps per thread (persisted by the checkpointer)."""

from __future__ import annotations

from langgraph.graph import MessagesState


class AgentState(MessagesState):
    domain: str
    """The domain agent that handled the last turn; a reply like "buy milk" continues it."""
