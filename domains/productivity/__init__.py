"""Todos, teams, reminders and calendar: the assistant's core domain."""
