"""Todos, teams, reminders and calendar: the assistant's core domain."""

import re

from domains.domain import Domain
from domains.productivity import grammar, models, tools

DOMAIN = Domain(
    name="productivity",
    tools=tuple(tools.TOOLS),
    grammar=grammar.GRAMMAR,
    prompt="You manage the caller's todos, reminders, calendar events and teams.",
    keywords=re.compile(r"\b(todo|to-do|task|remind\w*|calendar|meeting|event|team|schedule)\b"),
    tables=(models.Team, models.TeamMembership, models.Todo, models.Reminder, models.CalendarEvent),
)
