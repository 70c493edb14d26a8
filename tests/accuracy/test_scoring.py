"""The scorer counts a move as understood exactly when it is the call the line expects."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bots.llm.understanding import Understanding
from tests.accuracy.scoring import (
    Scored,
    args_match,
    as_said,
    canonical,
    report,
    same_record,
    same_words,
    understood,
)
from tests.accuracy.sets import Utterance


def _u(tool: str | None, domain: str = "productivity", **args: Any) -> Utterance:
    return Utterance("what the caller said", domain, tool, args, line=7)


def _call(tool: str, kind: str = "call", **args: Any) -> Understanding:
    return Understanding(kind, "productivity", tool, args)  # type: ignore[arg-type]


REPLY = Understanding("reply", "productivity", reply="Sorry, I didn't get that.")


@pytest.mark.parametrize(("expected", "move"), [
    (_u("create_todo", title="water the tomato plants"), _call("create_todo", title="Water the tomato plants.")),
    (_u("create_todo", title="review the chapter 12 flashcards"),
     _call("create_todo", title="review the chapter twelve flashcards")),
    (_u("mark_document_received", "mortgage", document="W2"), _call("mark_document_received", document="w two")),
    (_u("create_reservation", "restaurant", party_size=4, date="2026-11-24", time="19:00"),
     _call("create_reservation", party_size=4.0, date="2026-11-24", time="19:00:00")),
    (_u("create_reminder", message="pay the electric bill", remind_at="2026-11-27T09:00:00"),
     _call("create_reminder", message="pay the electric bill", remind_at="2026-11-27T09:00")),
    (_u("update_patient", "healthcare", phone="617-555-2234"), _call("update_patient", phone="6175552234")),
    (_u("get_todos", completed=False), _call("get_todos", completed=False, priority=None)),
    (_u("delete_todo", todo="plumber"), _call("delete_todo", "confirm", todo="the plumber task")),
    (_u("cancel_appointment", "healthcare", appointment="dentist appointment on friday"),
     _call("cancel_appointment", "confirm", appointment="dentist")),
    (_u("book_appointment", "healthcare", date="2026-12-02"), _call("book_appointment", "ask", date="2026-12-02")),
    (_u("get_teams"), _call("get_teams")),
    (_u(None, "none"), REPLY),
])
def test_the_move_the_line_expects_is_understood(expected: Utterance, move: Understanding) -> None:
    assert understood(expected, move)


@pytest.mark.parametrize(("expected", "move"), [
    (_u("create_todo", title="water the tomato plants"), _call("create_todo", title="water the to main approved")),
    (_u("create_todo", title="water the tomato plants"), _call("create_team", name="water the tomato plants")),
    (_u("create_todo", title="water the tomato plants", priority="high"),
     _call("create_todo", title="water the tomato plants")),
    (_u("create_todo", title="renew the license"),
     _call("create_todo", title="renew the license", due_date="2026-12-15")),
    (_u("create_reservation", "restaurant", party_size=4), _call("create_reservation", party_size=5)),
    (_u("create_reminder", remind_at="2026-11-27T09:00:00"), _call("create_reminder", remind_at="2026-11-27T21:00:00")),
    (_u("get_todos", completed=False), _call("get_todos", completed=True)),
    (_u("get_todos", completed=False), _call("get_todos")),
    (_u("delete_todo", todo="plumber"), _call("delete_todo", "confirm", todo="he already came by")),
    (_u("delete_todo", todo="oil change"), _call("delete_todo", todo="the")),
    # a title is free text, not a record: containing the expected words is not enough
    (_u("create_todo", title="call the plumber"), _call("create_todo", title="call the plumber tomorrow")),
    (_u("book_appointment", "healthcare", date="2026-12-02"), _call("book_appointment", "ask")),
    (_u("get_teams"), REPLY),
    (_u("get_teams"), _call("get_teams", "offer")),  # the model was not sure: "Do you want me to ...?"
    (_u(None, "none"), _call("create_todo", title="tell me a joke")),
    (_u(None, "none"), _call("create_todo", "ask")),
    (_u(None, "none"), _call("transfer_to_agent", "confirm")),
])
def test_any_other_move_is_a_miss(expected: Utterance, move: Understanding) -> None:
    assert not understood(expected, move)


def test_values_compare_as_said() -> None:
    assert canonical("Dick's Sporting Goods, by Friday!") == canonical("dick's sporting goods by friday")
    assert canonical("48k") == canonical("forty eight thousand")
    assert canonical("2026-11-27") != canonical("2026-11-28")
    assert canonical("a week") == canonical("1 week") and canonical("a month") != canonical("2 months")


def test_a_compound_written_as_one_word_or_two_is_the_same_text() -> None:
    assert args_match({"title": "pick up dry cleaning"}, {"title": "pickup dry cleaning"})
    assert args_match({"title": "walkthrough with the inspector"}, {"title": "walk through with the inspector"})
    assert not args_match({"title": "pick up dry cleaning"}, {"title": "pickup cleaning"})


def test_free_text_reads_singular_and_plural_alike_but_not_strictly() -> None:
    assert args_match({"title": "replace the wiper blades"}, {"title": "replace the wiper blade"})
    assert not args_match({"title": "replace the wiper blades"}, {"title": "replace the wiper blade"}, strict=True)
    assert not args_match({"title": "replace the wiper blades"}, {"title": "replace the viper blades"})


def test_a_possessive_and_a_plural_are_the_same_words_as_said() -> None:
    assert same_words("the farmers market closes early", "the farmer's market closes early")
    assert not same_words("the farmers market closes early", "the farm market closes early")
    assert not as_said("the farmers market", "the farmer's market")


def test_a_reference_that_names_no_record_counts_as_none() -> None:
    assert args_match({}, {"reservation": "my reservation"})
    assert args_match({"reservation": "the booking"}, {})
    assert not args_match({}, {"reservation": "okafor"})
    assert not args_match({"reservation": "Okafor"}, {"reservation": "my reservation"})
    assert not args_match({}, {"title": "my reservation"})  # free text is no reference


def test_a_booking_named_by_its_day_matches_its_date() -> None:
    assert same_record("saturday", "2026-11-28")  # the reference time is Monday 2026-11-23
    assert same_record("friday's booking", "2026-11-27")
    assert same_record("tonight", "2026-11-23")
    assert not same_record("friday", "2026-11-28")
    assert not same_record("kim", "2026-11-23")


def test_the_report_gives_figures_per_domain_and_tool_and_lists_the_misses() -> None:
    hit = Scored(_u("get_teams"), "what teams am i on", _call("get_teams"), True)
    miss = Scored(Utterance("which departments can i reach", "transfer", "get_available_departments", {}, 12),
                  "which departments can i reach", REPLY, False)
    unsure = Scored(_u("get_teams"), "my groups", _call("get_teams", "offer"), False)
    text = report([hit, miss, unsure], show_errors=True)
    assert re.search(r"productivity\s+50\.0%\s+2\n", text) and re.search(r"transfer\s+0\.0%\s+1\n", text)
    assert re.search(r"overall\s+33\.3%\s+3\n", text) and "1 of the misses offer the expected call" in text
    assert "line 12: which departments can i reach" in text and "reply: Sorry, I didn't get that." in text


def test_a_new_clock_time_alone_keeps_the_records_day_unless_a_day_was_said() -> None:
    def line(said: str) -> Utterance:
        return Utterance(said, "productivity", "update_calendar_event",
                         {"event": "dinner with the okonkwos", "start": "2026-12-05T20:00"}, line=3)

    moved = _call("update_calendar_event", "look", event="dinner with the okonkwos", start="20:00")
    assert understood(line("push dinner with the okonkwos to eight pm"), moved)
    assert not understood(line("push dinner with the okonkwos to saturday the fifth at eight pm"), moved)
    wrong_clock = _call("update_calendar_event", "look", event="dinner with the okonkwos", start="19:00")
    assert not understood(line("push dinner with the okonkwos to eight pm"), wrong_clock)
    today = _call("update_calendar_event", "look", event="dinner with the okonkwos", start="2026-11-23T20:00")
    assert not understood(line("push dinner with the okonkwos to eight pm"), today)


def test_a_booking_named_by_the_name_it_is_under_is_the_name_on_the_booking() -> None:
    named = Utterance("cancel the reservation under lindqvist", "restaurant", "cancel_reservation",
                      {"name_on_booking": "Lindqvist"}, line=4)
    assert understood(named, _call("cancel_reservation", "look", reservation="lindqvist"))
    assert not understood(named, _call("cancel_reservation", "look", reservation="2026-11-24"))
    as_ref = Utterance("cancel the table for kim", "restaurant", "cancel_reservation", {"reservation": "kim"}, line=5)
    assert understood(as_ref, _call("cancel_reservation", "look", name_on_booking="Kim"))
    assert not understood(as_ref, _call("cancel_reservation", "look", name_on_booking="lee"))
    both = Utterance("cancel the booking under ruiz", "restaurant", "cancel_reservation",
                     {"reservation": "ruiz", "name_on_booking": "ruiz"}, line=6)
    assert understood(both, _call("cancel_reservation", "look", reservation="Ruiz"))
    assert understood(both, _call("cancel_reservation", "look", name_on_booking="ruiz"))
    assert not understood(both, _call("cancel_reservation", "look", reservation="2026-11-24"))
    assert not understood(both, _call("cancel_reservation", "look", reservation="ruiz", name_on_booking="kim"))
    assert understood(as_ref, _call("cancel_reservation", "look", reservation="kim", name_on_booking="Kim"))
    eve = Utterance("scrap my christmas eve dinner", "restaurant", "cancel_reservation",
                    {"reservation": "christmas eve dinner"}, line=8)
    assert understood(eve, _call("cancel_reservation", "look", reservation="2026-12-24"))
    assert not understood(eve, _call("cancel_reservation", "look", reservation="2026-12-25"))
    visit = Utterance("cancel my flu shot under ana ortiz", "healthcare", "cancel_appointment",
                      {"appointment": "flu shot", "name_on_booking": "ana ortiz"}, line=7)
    assert understood(visit, _call("cancel_appointment", "look", appointment="flu shot", name_on_booking="Ana Ortiz"))
    assert not understood(visit, _call("cancel_appointment", "look", appointment="ana ortiz"))
