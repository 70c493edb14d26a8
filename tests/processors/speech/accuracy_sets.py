"""The utterance sets of the STT accuracy measure: generated in-template commands, and hand-written
out-of-template ones (written before any measuring)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.grammar.registry import all_templates, expand
from core.grammar.text import normalize
from speech.spoken import spoken_form

SEED = 4
PER_TOOL = 3  # utterances per tool: 42 tools -> 126 in-template utterances


@dataclass(frozen=True)
class Utterance:
    """What a caller says (the reference text, in spoken words) and the tool call it means."""

    said: str
    tool: str
    args: Mapping[str, Any]


# Written before measuring. Carrier phrases from the grammar; titles, names, symptoms, documents and
# messages that are in no template or slot example. Dates resolve against REFERENCE_NOW (Monday
# 2026-11-23 10:00).
OUT_OF_TEMPLATE: tuple[Utterance, ...] = tuple(Utterance(spoken_form(normalize(s)), t, a) for s, t, a in (
    ("add a todo to call the plumber", "create_todo", {"title": "call the plumber"}),
    ("create a task to renew the car insurance", "create_todo", {"title": "renew the car insurance"}),
    ("new task schedule a haircut", "create_todo", {"title": "schedule a haircut"}),
    ("add a high priority todo to fix the leaking faucet", "create_todo",
     {"priority": "high", "title": "fix the leaking faucet"}),
    ("make a low priority task to organize the garage", "create_todo", {"priority": "low", "title": "organize the garage"}),
    ("add clean the windows to my todo list", "create_todo", {"title": "clean the windows"}),
    ("create a todo to order printer paper due friday", "create_todo",
     {"title": "order printer paper", "due_date": "2026-11-27"}),
    ("put return the library books on my list", "create_todo", {"title": "return the library books"}),
    ("mark the plumber task as done", "complete_todo", {"todo": "plumber"}),
    ("delete the haircut task", "delete_todo", {"todo": "haircut"}),
    ("rename the task garage to sell the old bicycle", "update_todo", {"todo": "garage", "title": "sell the old bicycle"}),
    ("add a task for the marketing team to prepare the newsletter", "create_team_todo",
     {"team": "marketing", "title": "prepare the newsletter"}),
    ("create a team called logistics", "create_team", {"name": "logistics"}),
    ("search the users for patrick", "search_users", {"query": "patrick"}),
    ("invite frank at example dot com to the sales team", "add_team_member",
     {"email": "frank@example.com", "team": "sales"}),
    ("remind me to pick up the dog from the vet tomorrow at five pm", "create_reminder",
     {"message": "pick up the dog from the vet", "remind_at": "2026-11-24T17:00:00"}),
    ("remind me to buy a birthday present for my sister", "create_reminder",
     {"message": "buy a birthday present for my sister"}),
    ("set a reminder to renew my gym membership friday at noon", "create_reminder",
     {"message": "renew my gym membership", "remind_at": "2026-11-27T12:00:00"}),
    ("delete my reminder about the gym membership", "delete_reminder", {"reminder": "gym membership"}),
    ("schedule a meeting with the landlord tomorrow at three pm", "create_calendar_event",
     {"title": "meeting with the landlord", "start": "2026-11-24T15:00:00"}),
    ("add a piano lesson to my calendar", "create_calendar_event", {"title": "piano lesson"}),
    ("delete the piano lesson event", "delete_calendar_event", {"event": "piano lesson"}),
    ("i am a new patient and my name is james wilson", "register_patient",
     {"first_name": "James", "last_name": "Wilson"}),
    ("my name is emma rodriguez and my phone number is six five zero five five five zero one two three",
     "register_patient", {"first_name": "Emma", "last_name": "Rodriguez", "phone": "6505550123"}),
    ("change my last name to thompson", "update_patient", {"last_name": "Thompson"}),
    ("i have been having a stiff neck for four days", "record_symptoms", {"symptoms": "stiff neck", "duration": "4 days"}),
    ("i feel dizzy and nauseous", "record_symptoms", {"symptoms": "dizzy and nauseous"}),
    ("my insurance is cigna", "update_patient", {"insurance_provider": "cigna"}),
    ("book me a doctor's appointment tomorrow at ten am for a sprained ankle", "book_appointment",
     {"date": "2026-11-24", "time": "10:00", "reason": "a sprained ankle"}),
    ("book a table for four people tomorrow at seven pm under the name harris", "create_reservation",
     {"party_size": 4, "date": "2026-11-24", "time": "19:00", "name": "Harris"}),
    ("reserve a table for two on friday at eight pm with a gluten free menu", "create_reservation",
     {"party_size": 2, "date": "2026-11-27", "time": "20:00", "special_requests": "a gluten free menu"}),
    ("cancel the booking under patel", "cancel_reservation", {"reservation": "Patel"}),
    ("talk to a real person about my insurance claim", "transfer_to_agent", {"reason": "my insurance claim"}),
    ("mark my lease agreement as received", "mark_document_received", {"document": "lease agreement"}),
    ("i faxed you my pension statement", "mark_document_received", {"document": "pension statement"}),
    ("i finished the library books task", "complete_todo", {"todo": "library books"}),
))


def in_template_utterances(per_tool: int = PER_TOOL, seed: int = SEED) -> list[Utterance]:
    """`per_tool` generated utterances of every tool, each from a different template where the tool
    has several, in spoken form. Each tool draws from a generator of its own, so a template added to one
    tool leaves every other tool's utterances as they were."""
    by_tool: dict[str, list[Any]] = {}
    for template in all_templates():
        by_tool.setdefault(template.tool, []).append(template)
    out: list[Utterance] = []
    for tool, templates in by_tool.items():
        rng = random.Random(f"{seed}:{tool}")
        picked = rng.sample(templates, min(per_tool, len(templates)))
        picked += rng.choices(templates, k=per_tool - len(picked))
        for template in picked:
            example = expand(template, rng, 1)[0]
            out.append(Utterance(spoken_form(normalize(example.text)), example.tool, example.args))
    return out
