"""The local intent model's decisions: the next AI message from the conversation so far.

The model keeps no state: a question it asked or a confirmation it awaits travels in the AI message's
`additional_kwargs["convonet_pending"]`, so the checkpointed message list is the whole memory.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from bots.llm.capabilities import capabilities_sentence, fallback, greeting, help_text, offer
from bots.llm.lookup import Lookup, lookups, ordinal, resolve, results_by_tool, spoken_which
from bots.llm.replies import ToolResult, reply_to_results
from bots.llm.speech import speak_value
from core.grammar.dates import parse_date
from core.grammar.dialogue import Act, parse_dialogue
from core.grammar.parser import parse_slot
from core.grammar.registry import arguments_for, interpret, parse, tool_words
from core.grammar.slots import slot_type
from core.grammar.text import normalize, strip_fillers
from core.grammar.times import iso_time, parse_time

PENDING = "convonet_pending"
END_CALL = "end_call"
_ANSWER_LEADS = re.compile(
    r"^(?:it should say|it says|say|call it|it is called|it is under the name|it is under|under the name|under|it is"
    r"|the name is|my name is|name it|make it|to|about|that i need to)\s+"
)
_NEW_REQUEST_CONFIDENCE = 0.9


@dataclass
class Pending:
    """What the last AI message left open: a question for one argument, or a yes/no before acting."""

    kind: Literal["ask", "confirm", "intent", "look", "answer"]
    """"answer": the tool itself asked (`core.errors.Question`); the answer goes back into the same call,
    which was confirmed already."""
    tool: str
    args: dict[str, Any] = field(default_factory=dict)
    ask: str | None = None
    choices: tuple[str, ...] = ()
    """For a "which one?" question: the ids of the records read out, in order ("the second one")."""
    either: tuple[str, ...] = ()
    """Other arguments the answer may fill instead of `ask`, tried in order ("the code, or the name")."""


def next_message(
    messages: Sequence[BaseMessage], now: datetime, tools: Collection[str] | None, schemas: Mapping[str, frozenset[str]],
    serves: Collection[str] | None = None,
) -> AIMessage:
    """Decide the assistant's next message; `tools` limits which tools it may call (None: all), `serves` the
    domains the caller's line offers, which are all it says it can help with (None: every domain)."""
    if not messages:
        return _say(greeting())
    last = messages[-1]
    if isinstance(last, ToolMessage):
        looking = _looking(messages)
        if looking is not None:
            return _Turn(now, tools, schemas, messages, serves).resolve(looking)
        results = _trailing_results(messages)
        return _say(reply_to_results(results, now), _tool_question(results))
    if not isinstance(last, HumanMessage):
        return _say(fallback(serves))
    text = last.text if isinstance(last.content, list) else str(last.content)
    pending = _pending(messages)
    act = parse_dialogue(text)
    turn = _Turn(now, tools, schemas, messages, serves)
    if pending and pending.kind == "intent":
        if act == "yes":
            return turn.proceed(pending.tool, pending.args)
        if act in ("no", "cancel"):
            return _say("Okay. What would you like to do?")
    if pending and pending.kind == "confirm":
        if act == "yes":
            return turn.call(pending.tool, pending.args)
        if act in ("no", "cancel"):
            return _say("Okay, I'll leave it as it is. Anything else?")
    if pending and pending.kind in ("ask", "answer"):
        if act == "yes" and len(pending.choices) == 1 and pending.ask is not None:  # "Did you mean ...?"
            return turn.proceed(pending.tool, {**pending.args, pending.ask: pending.choices[0]})
        if act in ("no", "cancel"):
            return _say("Okay, never mind. What else can I do for you?")
        if act == "goodbye":
            return _goodbye()
        return turn.answer(pending, text)
    if act is not None:
        return _dialogue(act, messages, serves)
    return turn.request(text)


@dataclass
class _Turn:
    now: datetime
    tools: Collection[str] | None
    schemas: Mapping[str, frozenset[str]]
    messages: Sequence[BaseMessage]
    serves: Collection[str] | None = None

    def request(self, text: str) -> AIMessage:
        reading = interpret(text, self.now, self.tools)
        if reading is not None and (reading.sure or reading.tool in _read_only()):
            # a question about a reading is for what acts; what only reads is read out at once ("what
            # tasks i have at the moment"), and a wrong guess costs the caller no more than the question
            return self.proceed(reading.tool, reading.args)
        if reading is not None:
            return _say(offer(reading.tool), Pending("intent", reading.tool, reading.args))
        if self.tools is not None and interpret(text, self.now) is not None:
            return _say("I can't do that from here. " + capabilities_sentence(self.serves))
        return _say(fallback(self.serves))

    def answer(self, pending: Pending, text: str) -> AIMessage:
        words = tool_words(pending.tool)
        asks = words.asks if words else ()
        answers = words.answers if words and pending.kind == "answer" else ()
        known = {a.arg: a for a in (*asks, *answers)}  # the tool's own question is heard its way (a code, not any words)
        wanted = [known[arg] for arg in (pending.ask, *pending.either) if arg in known]
        if not wanted:
            return self.request(text)
        ask = wanted[0]
        found = parse(text, self.now, frozenset(self.tools) if self.tools is not None else None)
        if found is not None and found.confidence >= _NEW_REQUEST_CONFIDENCE and found.args:
            return self.proceed(found.tool, found.args)
        args = dict(pending.args)
        picked = ordinal(text) if pending.choices else None
        if picked is not None and -len(pending.choices) <= picked < len(pending.choices):
            return self.proceed(pending.tool, {**args, ask.arg: pending.choices[picked]})
        if not any(_fill(a.arg, a.slot_type, text, self.now, args, asks) for a in wanted):
            if found is not None and found.tool != pending.tool:
                return self.proceed(found.tool, found.args)
            again = Pending(pending.kind, pending.tool, args, ask.arg, either=pending.either)
            return _say(f"Sorry, I didn't catch that. {ask.question}", again)
        return self.call(pending.tool, args) if pending.kind == "answer" else self.proceed(pending.tool, args)

    def proceed(self, tool: str, args: dict[str, Any], label: str = "", looked: bool = False) -> AIMessage:
        """Act on `tool`: first look up the records its reference may name, then ask for what is missing,
        confirm what cannot be undone (`label`: the looked-up record in words), or call it."""
        if not looked and (calls := lookups(tool, self.tools, self.now)):
            return _look(calls, Pending("look", tool, args))
        words = tool_words(tool)
        missing = [a for a in words.asks if a.arg not in args] if words else []
        if missing:
            return _say(missing[0].question, Pending("ask", tool, args, missing[0].arg))
        if words and words.confirm:
            spoken = dict(args)
            if words.ref in args:
                spoken[words.ref] = label or _known_name(self.messages, args[words.ref])
            return _say(_confirmation(words.confirm, spoken, self.now), Pending("confirm", tool, args))
        return self.call(tool, args)

    def resolve(self, pending: Pending) -> AIMessage:
        """Go on with the pending call once the records it may name are listed (see `bots.llm.lookup`)."""
        listed = results_by_tool((r.tool, r.content) for r in _trailing_results(self.messages) if not r.is_error)
        said = _last_said(self.messages)

        def reread(kin: str) -> dict[str, Any] | None:
            return arguments_for(said, self.now, kin) if said else None

        found = resolve(pending.tool, pending.args, listed, self.now, reread)
        words = tool_words(found.tool)
        if found.which and words is not None and words.ref is not None:
            args = {k: v for k, v in found.args.items() if k != words.ref}
            return _say(spoken_which(found.which, found.heard_as), Pending("ask", found.tool, args, words.ref, found.choices))
        return self.proceed(found.tool, found.args, found.label, looked=True)

    def call(self, tool: str, args: dict[str, Any]) -> AIMessage:
        allowed = self.schemas.get(tool)
        if allowed:
            args = {k: v for k, v in args.items() if k in allowed}
        call = {"name": tool, "args": args, "id": f"call_{uuid.uuid4().hex}", "type": "tool_call"}
        return AIMessage(content="", tool_calls=[call])


def _tool_question(results: Sequence[ToolResult]) -> Pending | None:
    """The answer a tool's question waits for (`core.errors.Question`, its error's `asks`): the same call,
    the asked-for arguments to fill from what the caller says next. Proof given before that is not asked
    for again is left out (a stale texted code must not spoil the name that asks for a new one)."""
    asking = [(r, _asked(r)) for r in results if r.is_error]
    asking = [(r, fills) for r, fills in asking if fills]
    words = tool_words(asking[0][0].tool) if len(asking) == 1 else None
    if words is None:
        return None
    result, fills = asking[0]
    known = {a.arg for a in (*words.asks, *words.answers)}
    fills = [f for f in fills if f in known]
    if not fills:
        return None
    stale = {a.arg for a in words.answers} - set(fills) - {words.ref}
    args = {k: v for k, v in result.args.items() if k not in stale}
    return Pending("answer", result.tool, args, fills[0], either=tuple(fills[1:]))


def _asked(result: ToolResult) -> list[str]:
    try:
        data = json.loads(result.content)
    except json.JSONDecodeError:
        return []
    asks = data.get("asks") if isinstance(data, dict) else None
    return [a for a in asks if isinstance(a, str)] if isinstance(asks, list) else []


def _fill(arg: str, slot: str, text: str, now: datetime, args: dict[str, Any], asks: Sequence[Any]) -> bool:
    """Put the answer into `args`; a date answer that also says a time fills the time question too."""
    answer = _ANSWER_LEADS.sub("", strip_fillers(normalize(text)))
    if slot == "date" and " at " in answer:
        day_text, _, time_text = answer.rpartition(" at ")
        time_ask = next((a for a in asks if a.slot_type in ("time", "meal_time") and a.arg not in args), None)
        day, clock = parse_date(day_text, now), parse_time(time_text, "meal" if time_ask and time_ask.slot_type == "meal_time" else "general")
        if day and clock and time_ask:
            args[arg], args[time_ask.arg] = day.isoformat(), iso_time(clock)
            return True
    if slot_type(slot).free_text and parse_dialogue(answer) is not None:
        return False  # "yes", "thanks" or "hello" said to "what name is it under?" is no name
    value = parse_slot(slot, answer, now) if answer else None
    if value is None:
        return False
    args[arg] = value
    return True


def _confirmation(template: str, args: dict[str, Any], now: datetime) -> str:
    spoken = {k: _reference(k, v, now) for k, v in args.items()}
    try:
        return template.format(**spoken)
    except KeyError:
        return "Are you sure? Say yes to confirm."


_NAME_KEYS = ("title", "name", "message")


def _known_name(messages: Sequence[BaseMessage], ref: Any) -> Any:
    """The full title of the one thing earlier tool results showed whose words include `ref`'s ("milk" ->
    "buy milk"), so a confirmation names it; `ref` itself when none or several match."""
    if not isinstance(ref, str) or not ref.strip():
        return ref
    wanted = set(ref.lower().split())
    names: set[str] = set()
    for message in messages:
        if isinstance(message, ToolMessage) and isinstance(message.content, str):
            try:
                data = json.loads(message.content)
            except json.JSONDecodeError:
                continue
            names.update(n for n in _names(data) if wanted <= set(n.lower().split()))
    return names.pop() if len(names) == 1 else ref


def _names(data: Any) -> list[str]:
    if isinstance(data, list):
        return [n for item in data for n in _names(item)]
    if isinstance(data, dict):
        own = [v for k, v in data.items() if k in _NAME_KEYS and isinstance(v, str)]
        return own + [n for v in data.values() if isinstance(v, dict | list) for n in _names(v)]
    return []


def _reference(key: str, value: Any, now: datetime) -> str:
    """A reference read back in a question: "my reservation" -> "your reservation", a date -> "the one on ..."."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return f"the one on {speak_value(key, value, now)}"
    if isinstance(value, str) and value.startswith("my "):
        return "your " + value[3:]
    return speak_value(key, value, now)


def _look(calls: Sequence[Lookup], pending: Pending) -> AIMessage:
    """List calls made before acting, with the act they are for."""
    tool_calls = [{"name": c.tool, "args": c.args, "id": f"call_{uuid.uuid4().hex}", "type": "tool_call"} for c in calls]
    return AIMessage(content="", tool_calls=tool_calls, additional_kwargs={PENDING: asdict(pending)})


def _looking(messages: Sequence[BaseMessage]) -> Pending | None:
    """The act whose look-up the trailing tool results answer, if they answer one."""
    for message in reversed(messages):
        if isinstance(message, ToolMessage):
            continue
        if isinstance(message, AIMessage):
            data = message.additional_kwargs.get(PENDING)
            if isinstance(data, dict) and data.get("kind") == "look":
                return Pending(**data)
        return None
    return None


def _last_said(messages: Sequence[BaseMessage]) -> str:
    said = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
    if said is None:
        return ""
    return said.text if isinstance(said.content, list) else str(said.content)


def _pending(messages: Sequence[BaseMessage]) -> Pending | None:
    for message in reversed(messages[:-1]):
        if isinstance(message, AIMessage):
            data = message.additional_kwargs.get(PENDING)
            return Pending(**data) if isinstance(data, dict) else None
        if isinstance(message, HumanMessage | ToolMessage):
            return None
    return None


def _trailing_results(messages: Sequence[BaseMessage]) -> list[ToolResult]:
    """The tool results that end the conversation, each with the call that asked for it."""
    trailing: list[ToolMessage] = []
    for message in reversed(messages):
        if not isinstance(message, ToolMessage):
            break
        trailing.insert(0, message)
    request = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
    calls = {c["id"]: c for c in request.tool_calls if c["id"]} if request else {}
    results: list[ToolResult] = []
    for message in trailing:
        call = calls.get(message.tool_call_id)
        name = message.name or (call["name"] if call else "")
        content = message.content if isinstance(message.content, str) else message.text
        results.append(ToolResult(name, dict(call["args"]) if call else {}, content, message.status == "error"))
    return results


def _say(text: str, pending: Pending | None = None, end_call: bool = False) -> AIMessage:
    kwargs: dict[str, Any] = {END_CALL: True} if end_call else {}
    if pending is not None:
        kwargs[PENDING] = asdict(pending)
    metadata: dict[str, Any] = {END_CALL: True} if end_call else {}
    return AIMessage(content=text, additional_kwargs=kwargs, response_metadata=metadata)


def _goodbye() -> AIMessage:
    return _say("Goodbye! Have a great day.", end_call=True)


def _dialogue(act: Act, messages: Sequence[BaseMessage], serves: Collection[str] | None) -> AIMessage:
    if act == "goodbye":
        return _goodbye()
    if act == "help":
        return _say(help_text(serves))
    if act == "repeat":
        previous = next((m for m in reversed(messages[:-1]) if isinstance(m, AIMessage) and m.content), None)
        return _say(str(previous.content) if previous else greeting())
    replies = {
        "greeting": greeting(),
        "how_are_you": "I'm doing well, thanks for asking. How can I help you?",
        "thanks": "You're welcome! Is there anything else I can do for you?",
        "yes": "Okay. What would you like to do?",
        "no": "Okay. Is there anything else I can help with?",
        "cancel": "Okay. Is there anything else I can help with?",
    }
    return _say(replies[act])


@cache
def _read_only() -> frozenset[str]:
    """The tools that change nothing (lists, look-ups, estimates)."""
    from domains.registry import all_tools

    return frozenset(spec.name for spec in all_tools() if not spec.mutates)
