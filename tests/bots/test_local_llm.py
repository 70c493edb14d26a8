"""The offline intent model through LangChain's interface: tool calls, slot filling, confirmation, replies."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool

from bots.llm.local import END_CALL, LocalIntentChatModel

NOW = datetime(2026, 11, 23, 10, 0)


@tool
def create_todo(title: str, description: str | None = None, priority: str = "medium", due_date: str | None = None) -> dict[str, Any]:
    """Create a todo for the caller."""
    return {}


@tool
def get_todos(completed: bool | None = None, priority: str | None = None) -> dict[str, Any]:
    """List the caller's todos."""
    return {}


@tool
def delete_todo(todo: str) -> dict[str, Any]:
    """Delete one of the caller's todos."""
    return {}


@tool
def create_reminder(message: str, remind_at: str) -> dict[str, Any]:
    """Remind the caller."""
    return {}


@tool
def book_appointment(date: str, time: str, reason: str | None = None) -> dict[str, Any]:
    """Book a clinic appointment."""
    return {}


@pytest.fixture
def model() -> Any:
    tools = [create_todo, get_todos, delete_todo, create_reminder, book_appointment]
    return LocalIntentChatModel(clock=lambda: NOW).bind_tools(tools)


async def turn(model: Any, messages: list[BaseMessage], text: str) -> AIMessage:
    messages.append(HumanMessage(text))
    reply = await model.ainvoke(messages)
    assert isinstance(reply, AIMessage)
    messages.append(reply)
    return reply


def result(messages: list[BaseMessage], payload: Any, status: str = "success") -> None:
    call = messages[-1].tool_calls[0]  # type: ignore[attr-defined]
    content = payload if isinstance(payload, str) else json.dumps(payload)
    messages.append(ToolMessage(content, tool_call_id=call["id"], name=call["name"], status=status))


async def test_a_request_becomes_a_tool_call(model: Any) -> None:
    messages: list[BaseMessage] = [SystemMessage("You are Convonet.")]
    reply = await turn(model, messages, "Could you add a high priority todo to buy milk tomorrow?")
    assert reply.content == ""
    [call] = reply.tool_calls
    assert call["name"] == "create_todo"
    assert call["args"] == {"title": "buy milk", "priority": "high", "due_date": "2026-11-24"}
    assert call["id"] and call["id"].startswith("call_")


async def test_slot_filling_recovers_the_pending_intent_from_the_messages(model: Any) -> None:
    messages: list[BaseMessage] = []
    reply = await turn(model, messages, "create a todo")
    assert reply.content == "What should the todo say?"
    assert not reply.tool_calls
    reply = await turn(model, messages, "buy milk")
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("create_todo", {"title": "buy milk"})]
    result(messages, {"created": {"id": "7", "title": "buy milk", "priority": "medium", "completed": False}})
    reply = await model.ainvoke(messages)
    assert reply.content == "Okay, I added buy milk to your todos."


async def test_two_questions_then_the_call(model: Any) -> None:
    messages: list[BaseMessage] = []
    assert (await turn(model, messages, "set a reminder")).content == "What should I remind you about?"
    assert (await turn(model, messages, "to call the dentist")).content == "When should I remind you?"
    reply = await turn(model, messages, "tomorrow at 9 am")
    assert reply.tool_calls[0]["args"] == {"message": "call the dentist", "remind_at": "2026-11-24T09:00:00"}


async def test_a_date_answer_with_a_time_fills_both(model: Any) -> None:
    messages: list[BaseMessage] = []
    assert (await turn(model, messages, "book a doctor's appointment")).content == "What day would you like to come in?"
    reply = await turn(model, messages, "friday at 10 am")
    assert reply.tool_calls[0]["args"] == {"date": "2026-11-27", "time": "10:00"}


TODOS = {"todos": [{"id": "t1", "title": "buy milk"}, {"id": "t2", "title": "call mom"},
                   {"id": "t3", "title": "buy oat milk"}], "count": 3}


async def test_deleting_looks_the_todo_up_and_confirms_it_by_name(model: Any) -> None:
    messages: list[BaseMessage] = []
    reply = await turn(model, messages, "delete the call mom todo")
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("get_todos", {})]
    result(messages, TODOS)
    reply = await model.ainvoke(messages)
    messages.append(reply)
    assert reply.content == "Delete the todo call mom? Say yes to confirm."
    assert not reply.tool_calls
    reply = await turn(model, messages, "yes")
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("delete_todo", {"todo": "t2"})]


async def test_a_reference_to_several_records_asks_which(model: Any) -> None:
    messages: list[BaseMessage] = []
    await turn(model, messages, "delete the milk todo")
    result(messages, TODOS)
    reply = await model.ainvoke(messages)
    messages.append(reply)
    assert reply.content == "Which one: buy milk or buy oat milk?"
    reply = await turn(model, messages, "the oat milk one")
    result(messages, TODOS)  # looked up again with the caller's answer
    reply = await model.ainvoke(messages)
    messages.append(reply)
    assert reply.content == "Delete the todo buy oat milk? Say yes to confirm."


async def test_a_reference_to_nothing_listed_is_left_to_the_tool(model: Any) -> None:
    messages: list[BaseMessage] = []
    await turn(model, messages, "delete the todo walk the dog")
    result(messages, TODOS)
    reply = await model.ainvoke(messages)
    assert reply.content == "Delete the todo walk the dog? Say yes to confirm."


async def test_saying_no_keeps_the_thing(model: Any) -> None:
    messages: list[BaseMessage] = []
    await turn(model, messages, "delete the todo call mom")
    result(messages, TODOS)
    messages.append(await model.ainvoke(messages))
    reply = await turn(model, messages, "no")
    assert not reply.tool_calls
    assert "leave it" in str(reply.content)


async def test_error_results_are_relayed(model: Any) -> None:
    messages: list[BaseMessage] = []
    await turn(model, messages, "delete the todo call mom")
    result(messages, {"todos": [], "count": 0})
    messages.append(await model.ainvoke(messages))
    await turn(model, messages, "yes please")
    result(messages, {"error": "You have no todo matching call mom."}, status="error")
    reply = await model.ainvoke(messages)
    assert reply.content == "You have no todo matching call mom."


async def test_replies_say_dates_and_numbers_in_words(model: Any) -> None:
    messages: list[BaseMessage] = []
    await turn(model, messages, "remind me to call mom tomorrow at 2 pm")
    result(messages, {"created": {"id": "1", "message": "call mom", "remind_at": "2026-11-24T14:00", "done": False}})
    reply = await model.ainvoke(messages)
    assert reply.content == "Okay, I'll remind you to call mom on Tuesday, November twenty-fourth at two PM."


async def test_goodbye_ends_the_call(model: Any) -> None:
    reply = await model.ainvoke([HumanMessage("thanks, bye")])
    assert reply.content == "Goodbye! Have a great day."
    assert reply.additional_kwargs[END_CALL] is True
    assert reply.response_metadata[END_CALL] is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", "Hello! How can I help you today?"),
        ("thank you", "You're welcome! Is there anything else I can do for you?"),
        ("how are you", "I'm doing well, thanks for asking. How can I help you?"),
        ("hello is anyone there", "Hello! How can I help you today?"),  # not a search for a user
    ],
)
async def test_small_talk(model: Any, text: str, expected: str) -> None:
    reply = await model.ainvoke([HumanMessage(text)])
    assert reply.content == expected
    assert END_CALL not in reply.additional_kwargs


@pytest.mark.parametrize("text", ["who am i talking to", "are you a robot"])
async def test_asked_who_it_is_it_says_what_it_can_do(model: Any, text: str) -> None:
    reply = await model.ainvoke([HumanMessage(text)])
    assert not reply.tool_calls and str(reply.content).startswith("I can help with todos")


async def test_help_and_fallback_name_what_it_can_do(model: Any) -> None:
    help_reply = await model.ainvoke([HumanMessage("what can you do")])
    assert str(help_reply.content).startswith(
        "I can help with todos, reminders, your calendar, teams, mortgage applications, "
        "doctor's appointments and restaurant reservations."
    )
    fallback = await model.ainvoke([HumanMessage("the purple elephant sings")])
    assert "I can help with todos, reminders" in str(fallback.content)
    assert not fallback.tool_calls


async def test_only_bound_tools_are_called() -> None:
    model = LocalIntentChatModel(clock=lambda: NOW).bind_tools([get_todos])
    reply = await model.ainvoke([HumanMessage("add a todo to buy milk")])
    assert not reply.tool_calls
    unbound = await LocalIntentChatModel(clock=lambda: NOW).ainvoke([HumanMessage("what are my todos")])
    assert not unbound.tool_calls


def test_sync_invoke_works_too() -> None:
    model = LocalIntentChatModel(clock=lambda: NOW).bind_tools([get_todos])
    reply = model.invoke([HumanMessage("show my completed todos")])
    assert reply.tool_calls[0]["args"] == {"completed": True}


async def test_the_callers_local_time_comes_from_the_system_prompt() -> None:
    model = LocalIntentChatModel(clock=lambda: NOW).bind_tools([create_todo])
    prompt = SystemMessage("You are Convonet. Local time now: Friday 2026-12-04 18:30.")
    reply = await model.ainvoke([prompt, HumanMessage("add a todo to call mom tomorrow")])
    assert reply.tool_calls[0]["args"] == {"title": "call mom", "due_date": "2026-12-05"}


def _offered(tool: str, args: dict[str, Any]) -> AIMessage:
    from bots.llm.capabilities import offer as _offer

    return AIMessage(content=_offer(tool), additional_kwargs={
        "convonet_pending": {"kind": "intent", "tool": tool, "args": args, "ask": None},
    })


async def test_a_checked_guess_is_carried_out_on_yes(model: Any) -> None:
    messages: list[BaseMessage] = [HumanMessage("could you maybe do the oat milk thing"),
                                   _offered("create_todo", {"title": "oat milk"})]
    assert messages[-1].content == "Do you want me to add a todo?"
    reply = await turn(model, messages, "yes please")
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("create_todo", {"title": "oat milk"})]


async def test_a_checked_guess_without_its_details_asks_for_them_on_yes(model: Any) -> None:
    messages: list[BaseMessage] = [HumanMessage("the reminder thing"), _offered("create_reminder", {})]
    reply = await turn(model, messages, "yeah")
    assert not reply.tool_calls and reply.content == "What should I remind you about?"


async def test_a_checked_guess_is_dropped_on_no(model: Any) -> None:
    messages: list[BaseMessage] = [HumanMessage("the oat milk thing"), _offered("create_todo", {"title": "oat milk"})]
    reply = await turn(model, messages, "no")
    assert not reply.tool_calls and "What would you like" in str(reply.content)


async def test_a_new_request_after_a_checked_guess_is_read_as_new(model: Any) -> None:
    messages: list[BaseMessage] = [HumanMessage("the oat milk thing"), _offered("create_todo", {"title": "oat milk"})]
    reply = await turn(model, messages, "what are my todos")
    assert [c["name"] for c in reply.tool_calls] == ["get_todos"]


async def test_everyday_request_through_the_chat_model(model: Any) -> None:
    reply = await turn(model, [], "um could you stick water the tomato plants on my list for friday")
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [
        ("create_todo", {"title": "water the tomato plants", "due_date": "2026-11-27"})]


async def test_an_unsure_reading_that_only_reads_is_acted_on_and_one_that_acts_is_asked(model: Any) -> None:
    from core.grammar.registry import REFERENCE_NOW, interpret

    text = "i was wondering what tasks i have at the moment"
    reading = interpret(text, REFERENCE_NOW)
    assert reading is not None and reading.tool == "get_todos" and not reading.sure  # the case in point
    reply = await turn(model, [], text)
    assert [c["name"] for c in reply.tool_calls] == ["get_todos"]
    asked = await turn(model, [], "so like i need to order more potting soil for the raised beds add that please")
    assert not asked.tool_calls and asked.content.startswith("Do you want me to")
