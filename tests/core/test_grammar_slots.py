"""Slot parsers: spoken and written numbers, dates, times, emails, money, durations and PINs."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from core.grammar.dates import parse_birth_date, parse_date, say_date
from core.grammar.digits import parse_phone, parse_pin
from core.grammar.emails import parse_email, say_email
from core.grammar.numbers import (
    parse_money,
    parse_number,
    parse_ordinal,
    parse_percent,
    parse_year,
    say_number,
)
from core.grammar.spans import parse_date_range, parse_duration, parse_event_time
from core.grammar.text import normalize, strip_fillers
from core.grammar.times import parse_datetime, parse_time, say_datetime, say_time

NOW = datetime(2026, 11, 23, 10, 0)  # a Monday morning


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("twenty three", 23), ("twenty-three", 23), ("a hundred and five", 105), ("4", 4), ("four", 4),
        ("one thousand two hundred", 1200), ("two thousand and five", 2005), ("six point five", 6.5),
        ("3.5", 3.5), ("350k", 350000), ("1.2 million", 1200000), ("350 thousand", 350000),
        ("three hundred fifty thousand", 350000), ("one point two million", 1200000), ("one two three four", None),
        ("blue", None),
        # thousands the short way, before a scale only
        ("five fifty thousand", 550000), ("four twenty five k", 425000), ("one twenty five", None),
    ],
)
def test_numbers(text: str, value: float | None) -> None:
    assert parse_number(normalize(text)) == value


def test_ordinals_years_and_saying_numbers() -> None:
    assert parse_ordinal("twenty third") == 23
    assert parse_ordinal("23rd") == 23
    assert parse_year("nineteen eighty five") == 1985
    assert parse_year("twenty twenty six") == 2026
    assert say_number(23) == "twenty-three"
    assert say_number(105) == "one hundred five"
    assert say_number(6.5) == "six point five"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("three hundred fifty thousand dollars", 350000.0), ("350k", 350000.0), ("$350,000", 350000.0),
        ("350 thousand", 350000.0), ("95 grand", 95000.0), ("about 1.2 million dollars", 1200000.0),
    ],
)
def test_money(text: str, value: float) -> None:
    assert parse_money(normalize(text)) == value


def test_percent() -> None:
    assert parse_percent(normalize("six point five percent")) == 6.5
    assert parse_percent(normalize("6.5%")) == 6.5
    assert parse_percent(normalize("7 percent")) == 7.0
    # a rate said without "percent" is a decimal a rate can be
    assert parse_percent(normalize("five point eight seven five")) == 5.875
    assert parse_percent(normalize("seven")) is None
    assert parse_percent(normalize("two point five million")) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("today", date(2026, 11, 23)), ("tomorrow", date(2026, 11, 24)),
        ("the day after tomorrow", date(2026, 11, 25)), ("next friday", date(2026, 12, 4)),
        ("this friday", date(2026, 11, 27)), ("friday", date(2026, 11, 27)), ("on monday", date(2026, 11, 30)),
        ("in three days", date(2026, 11, 26)), ("november twenty third", date(2026, 11, 23)),
        ("the 23rd", date(2026, 11, 23)), ("the twenty-second", date(2026, 12, 22)),
        ("2026-11-23", date(2026, 11, 23)), ("december 1st", date(2026, 12, 1)),
        ("march 3rd", date(2027, 3, 3)), ("11/30", date(2026, 11, 30)), ("a week from today", date(2026, 11, 30)),
        ("monday next week", date(2026, 11, 30)), ("purple", None),
        # holidays and the ends of weeks, months and years
        ("thanksgiving", date(2026, 11, 26)), ("christmas eve", date(2026, 12, 24)),
        ("new year's eve", date(2026, 12, 31)), ("halloween", date(2027, 10, 31)),
        ("the end of december", date(2026, 12, 31)), ("end of the month", date(2026, 11, 30)),
        ("the end of the week", date(2026, 11, 27)), ("the end of next week", date(2026, 12, 4)),
        ("the end of february", date(2027, 2, 28)),
        # a weekday said with its date
        ("tuesday december first", date(2026, 12, 1)), ("friday the fourth", date(2026, 12, 4)),
        ("thursday the third of december", date(2026, 12, 3)),
    ],
)
def test_dates_relative_to_now(text: str, value: date | None) -> None:
    assert parse_date(normalize(text), NOW) == value


def test_birth_dates_need_a_year_in_the_past() -> None:
    assert parse_birth_date(normalize("march third nineteen eighty five"), NOW) == date(1985, 3, 3)
    assert parse_birth_date("march third", NOW) is None
    assert parse_birth_date("2030-01-01", NOW) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("two pm", time(14)), ("two thirty", time(14, 30)), ("14:00", time(14)), ("noon", time(12)),
        ("seven in the evening", time(19)), ("half past six", time(18, 30)), ("quarter to seven pm", time(18, 45)),
        ("2pm", time(14)), ("9:15 a.m.", time(9, 15)), ("seven oh five am", time(7, 5)), ("midnight", time(0)),
    ],
)
def test_times(text: str, value: time) -> None:
    assert parse_time(normalize(text)) == value


def test_bare_hours_follow_the_policy() -> None:
    assert parse_time("seven") == time(7)
    assert parse_time("seven", "meal") == time(19)
    assert parse_time("three") == time(15)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("tomorrow at two pm", datetime(2026, 11, 24, 14)), ("at 2 pm tomorrow", datetime(2026, 11, 24, 14)),
        ("tomorrow", datetime(2026, 11, 24, 9)), ("at noon on friday", datetime(2026, 11, 27, 12)),
        ("tonight at 8", datetime(2026, 11, 23, 20)), ("in two hours", datetime(2026, 11, 23, 12)),
        ("in 20 minutes", datetime(2026, 11, 23, 10, 20)), ("at 9 am", datetime(2026, 11, 24, 9)),
        ("tomorrow morning", datetime(2026, 11, 24, 9)),
    ],
)
def test_datetimes(text: str, value: datetime) -> None:
    assert parse_datetime(normalize(text), NOW) == value


def test_ranges_spans_and_durations() -> None:
    assert parse_date_range("this week", NOW) == ("2026-11-23", "2026-11-29")
    assert parse_date_range("next week", NOW) == ("2026-11-30", "2026-12-06")
    assert parse_date_range("tomorrow", NOW) == ("2026-11-24", "2026-11-24")
    assert parse_date_range("this weekend", NOW) == ("2026-11-28", "2026-11-29")
    assert parse_event_time("tomorrow from two to three pm", NOW) == ("2026-11-24T14:00:00", "2026-11-24T15:00:00")
    assert parse_event_time("friday at 10 am", NOW) == ("2026-11-27T10:00:00", None)
    assert parse_duration("for three days") == "3 days"
    assert parse_duration("two weeks") == "2 weeks"
    assert parse_duration("since yesterday") == "since yesterday"
    assert parse_duration("for a week") == "1 week"
    assert parse_duration("for about two weeks") == "about 2 weeks"
    assert parse_duration("nearly a month") == "nearly a month"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("bob at example dot com", "bob@example.com"), ("Bob@Example.com", "bob@example.com"),
        ("alice dot smith at example dot co dot uk", "alice.smith@example.co.uk"),
        ("dave underscore jones at gmail dot com", "dave_jones@gmail.com"), ("bob at home", None),
        ("ana at brightpath dot io", "ana@brightpath.io"), ("ana at brightpath dot down", None),
        ("ana@brightpath.example", "ana@brightpath.example"),  # written: any top-level domain
    ],
)
def test_emails(text: str, value: str | None) -> None:
    assert parse_email(normalize(text)) == value


def test_pin_and_phone() -> None:
    assert parse_pin("one two three four") == "1234"
    assert parse_pin("my pin is 1 2 3 4") == "1234"
    # Moonshine writes a PIN as a number ("4821"), which its transcript gives back in words
    assert parse_pin("four thousand eight hundred twenty one") == "4821"
    assert parse_pin("my pin is one thousand two hundred thirty four") == "1234"
    assert parse_pin("one hundred") is None and parse_pin("one million") is None
    assert parse_pin("My PIN is 1234.") == "1234"
    assert parse_pin("twelve thirty four") == "1234"
    assert parse_pin("double five six seven") == "5567"
    assert parse_pin("buy milk") is None
    assert parse_pin("one two") is None
    assert parse_phone("five five five eight six seven five three oh nine") == "5558675309"


def test_spoken_renderers() -> None:
    assert say_date(date(2026, 11, 23), NOW) == "Monday, November twenty-third"
    assert say_time(time(14)) == "two PM"
    assert say_time(time(14, 30)) == "two thirty PM"
    assert say_datetime(datetime(2026, 11, 23, 14), NOW) == "Monday, November twenty-third at two PM"
    assert say_email("bob@example.com") == "bob at example dot com"


def test_normalisation_makes_typed_and_spoken_text_alike() -> None:
    assert normalize("What's on my To-Do list?") == "what is on my todo list"
    assert normalize("Meet at 2PM, $350,000!") == "meet at 2 pm $350000"
    assert strip_fillers(normalize("Um, could you please add a todo, thanks")) == "add a todo"
    assert strip_fillers(normalize("pick up the dry cleaning can you put that on my to do list")) == "pick up the dry cleaning put that on my todo list"
    assert strip_fillers(normalize("rename buy flour to buy semolina flour would you")) == "rename buy flour to buy semolina flour"
    assert strip_fillers(normalize("what can you do")) == "what can you do"


@pytest.mark.parametrize(("heard", "meant"), [
    ("aditask get the oil changed", "add a task get the oil changed"),
    ("um ad attacks for the warehouse team", "um add a task for the warehouse team"),
    ("hey so added to do to pick up the cleaning", "hey so add a todo to pick up the cleaning"),
    ("stick it to do on there", "stick a todo on there"),
    ("he added a task yesterday", "he added a task yesterday"),  # mid-sentence: what was said
    ("start a new todo called by milk", "start a new todo called buy milk"),  # "buy" heard as "by"
    ("change the by milk chore to friday", "change the buy milk chore to friday"),
    ("finish the report by friday", "finish the report by friday"),  # a deadline stays one
    ("pay by card", "pay by card"),
    ("to leap milk meeting", "delete milk meeting"),
    ("i want to lead the team", "i want to lead the team"),
    ("set his roll on the support team to admin", "set his role on the support team to admin"),
    ("push the tax filing to do to friday", "push the tax filing todo to friday"),  # a todo named by its title
    ("what do i have to do", "what do i have to do"),
    ("i have a lot to do on friday", "i have a lot to do on friday"),
    ("order printer paper do friday", "order printer paper due friday"),  # "due" heard "do"
    ("what do i have to do friday", "what do i have to do friday"),
    ("sign up for the pottery class do the first of december", "sign up for the pottery class due the first of december"),
    ("i need to do the math homework", "i need to do the math homework"),
    ("mark the plumber task is done", "mark the plumber task as done"),
    ("takebob dot miller at acme dot com off the budget committee", "take bob dot miller at acme dot com off the budget committee"),
    ("addison at gmail dot com is my email", "addison at gmail dot com is my email"),  # an address, no command
    ("look a table for two friday", "book a table for two friday"),
    ("what apartments do you have", "what departments do you have"),
    ("can you drop that down for tuesday", "can you jot that down for tuesday"),
])
def test_a_command_the_recogniser_ran_together_is_read_as_said(heard: str, meant: str) -> None:
    assert normalize(heard) == meant
