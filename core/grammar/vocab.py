"""Loose word classes for the big slot types, so templates compile in milliseconds.

A template's regex first finds typed slots such as dates by their vocabulary alone; the slot's parser then
checks the words, and only when it refuses does the parser fall back to the template's precise regex.
Each class must accept every phrase the precise pattern accepts.
"""

from __future__ import annotations

from core.grammar.dates import _MONTH_NUM, WEEKDAYS
from core.grammar.numbers import ONES, ORDINAL_WORDS, SCALES, TENS

_NUMBER_WORDS = (*ONES, *TENS[2:], "hundred", *SCALES, "and", "point", "a", "an", "oh", "o", "double", "triple")
_DATE_WORDS = (
    *WEEKDAYS, *_MONTH_NUM, *ORDINAL_WORDS, "today", "tonight", "tomorrow", "tmrw", "yesterday", "the", "day",
    "days", "after", "next", "this", "coming", "on", "in", "week", "weeks", "month", "months", "from", "now",
    "of", "couple", "few", "end", "last", "year", "eve", "new", "year's", "valentine's", "memorial", "independence",
    "fourth", "july", "labor", "halloween", "thanksgiving", "christmas",
)
_TIME_WORDS = (
    "noon", "midday", "midnight", "lunchtime", "am", "pm", "in", "the", "morning", "afternoon", "evening",
    "night", "at", "tonight", "this", "oclock", "quarter", "half", "past", "after", "to", "before", "minute",
    "minutes", "mins", "around", "about", "by", "hour", "hours",
)
_SPAN_WORDS = (
    "from", "to", "until", "till", "for", "during", "weekend", "last", "few", "couple", "of", "since", "ago",
    "past", "year", "years", "several", "now",
)
_DIGITS = r"[\d$][\w:./%$-]*"


def word_class(*groups: tuple[str, ...]) -> str:
    """A regex for one or more space-separated words drawn from `groups` (digit tokens always allowed)."""
    vocabulary = sorted({w for group in groups for w in group}, key=len, reverse=True)
    token = "(?:" + _DIGITS + "|" + "|".join(vocabulary) + ")"
    return rf"{token}(?: {token})*"


DATE_WORDS = word_class(_NUMBER_WORDS, _DATE_WORDS)
TIME_WORDS = word_class(_NUMBER_WORDS, _TIME_WORDS)
MOMENT_WORDS = word_class(_NUMBER_WORDS, _DATE_WORDS, _TIME_WORDS, _SPAN_WORDS)


EVERYDAY_THINGS: tuple[str, ...] = (
    "buy milk", "buy groceries", "pick up the dry cleaning", "call mom", "call the plumber", "pay the rent",
    "pay the electric bill", "water the plants", "walk the dog", "feed the cat", "clean the garage",
    "do the laundry", "take out the trash", "return the library books", "renew my passport",
    "book flights to denver", "send the invoice", "email the landlord", "finish the report", "fix the faucet",
    "order printer paper", "schedule a haircut", "mow the lawn", "wash the car", "get an oil change",
    "buy a birthday card", "wrap the presents", "pick up the kids", "drop off the package", "sign the form",
    "submit the expenses", "update the budget", "review the contract", "prepare the slides", "clean the kitchen",
    "vacuum the living room", "change the air filter", "buy dog food", "refill the prescription",
    "call the insurance company", "cancel the gym membership", "bake cookies for the party", "plan the trip",
    "study for the exam", "practice piano", "go for a run", "meal prep for the week", "check the oven",
    "take my medicine", "move the laundry to the dryer", "lunch with sarah", "team sync", "dentist",
    "yoga class", "parent teacher conference", "coffee with mark", "project review", "soccer practice",
    "dinner at olive garden", "movie night", "car service", "board meeting", "book club",
)
"""Everyday errands, chores and events: what free text sounds like, so the intent model learns that
such words ("buy", "call", "pick up") belong to todos, reminders and the calendar, not to a home purchase."""
