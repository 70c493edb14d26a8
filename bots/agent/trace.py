"""Per-turn timing the graph's nodes fill in, read by the Agent Monitor."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TurnTrace:
    started: float = field(default_factory=time.perf_counter)
    route_ms: float = 0.0
    llm_calls: list[dict[str, Any]] = field(default_factory=list)
    first_text_ms: float | None = None
    routed: bool = False
    """The run read the thread and reached its first node (what failed before, failed reading the thread)."""

    def since_start_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def llm(self, provider: str, elapsed_ms: float, first_choice: str | None = None) -> None:
        """A model answered; `first_choice` is the one asked first (another answering is a failover)."""
        call: dict[str, Any] = {"provider": provider, "ms": round(elapsed_ms, 2)}
        if first_choice is not None and first_choice != provider:
            call["failover_from"] = first_choice
        self.llm_calls.append(call)
