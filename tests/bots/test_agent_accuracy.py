"""How often the whole agent (router → assistant with the offline intent model → tool) makes the
right tool call with the right arguments. Printed as figures; generated utterances must reach 98 %."""

from __future__ import annotations

import random
from datetime import UTC
from typing import Any

import pytest

from bots.agent.agent import Agent
from core import accounts
from core.grammar import registry
from core.runtime import Runtime
from core.tools import ToolContext, ToolEvent
from domains.registry import all_tools
from tests.core.paraphrases import FRESH

NOW = registry.REFERENCE_NOW.replace(tzinfo=UTC)
LOOKUPS = frozenset(w.lookup for g in registry.grammars() for w in g.tools if w.lookup)
REQUIRED = {spec.name: set(spec.input_schema().get("required", [])) for spec in all_tools()}


def generated(n_per_domain: int = 40, seed: int = 7) -> list[registry.Example]:
    rng = random.Random(seed)
    picked: list[registry.Example] = []
    for domain in registry.domains():
        templates = list(registry.templates_for(domain))
        rng.shuffle(templates)
        examples = [ex for t in templates for ex in registry.expand(t, rng, 1)]
        picked += examples[:n_per_domain]
    return picked


def _acts(calls: list[ToolEvent], reply: str) -> list[ToolEvent]:
    """The calls that act, without the list calls made first to look up what a reference names."""
    acting = [c for c in calls if c.name not in LOOKUPS]
    return acting if acting or "?" in reply else calls  # a list request is its one call


async def _score(runtime: Runtime, cases: list[tuple[str, str, dict[str, Any]]]) -> tuple[float, list[str]]:
    """Each utterance is a new caller's first turn, with no records: what one case created cannot be
    looked up (and changed) by the next one's reference."""
    misses: list[str] = []
    async with Agent.open(runtime) as agent:
        for i, (text, tool, args) in enumerate(cases):
            async with runtime.sessions() as db, db.begin():
                user = await accounts.register_user(db, email=f"acc{i}@example.com", password="password123", rounds=4)
            session = agent.session(ToolContext.for_user(runtime, user.id, clock=lambda: NOW), f"acc-{i}")
            result = await session.turn(text)
            if not _acts(result.tool_calls, result.reply) and "confirm" in result.reply.lower():
                result = await session.turn("yes")
            got = [(c.name, c.arguments) for c in _acts(result.tool_calls, result.reply)[:1]]
            if REQUIRED[tool] - set(args):
                # a request missing a required detail is right when the agent asks for it instead
                if not got and result.reply.endswith("?"):
                    continue
                misses.append(f"{text!r}: expected a question for {tool}, got {got} / {result.reply!r}")
            elif got != [(tool, args)]:
                misses.append(f"{text!r}: expected {tool}{args}, got {got} / {result.reply!r}")
    return 1 - len(misses) / len(cases), misses


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
async def test_generated_utterances_through_the_agent(runtime: Runtime) -> None:
    examples = generated()
    assert len(examples) >= 150
    assert {ex.domain for ex in examples} == set(registry.domains())
    accuracy, misses = await _score(runtime, [(ex.text, ex.tool, ex.args) for ex in examples])
    print(f"\nagent, generated utterances: {accuracy:.1%} of {len(examples)} correct tool and arguments")
    for miss in misses[:10]:
        print("  miss:", miss)
    assert accuracy >= 0.98


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
async def test_held_out_paraphrases_through_the_agent(runtime: Runtime) -> None:
    accuracy, misses = await _score(runtime, FRESH)
    print(f"\nagent, held-out hand-written paraphrases: {accuracy:.1%} of {len(FRESH)}")
    for miss in misses:
        print("  miss:", miss)
    assert accuracy >= 0.6
