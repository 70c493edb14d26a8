"""All productivity tools: todos, teams, reminders, calendar."""

from domains.productivity import calendar_tools, reminder_tools, team_tools, todo_tools

TOOLS = [*todo_tools.TOOLS, *team_tools.TOOLS, *reminder_tools.TOOLS, *calendar_tools.TOOLS]
