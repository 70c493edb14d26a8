"""Slot types as data: how a slot is matched, parsed to a typed value, said back, and exemplified."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from core.grammar import choices
from core.grammar.dates import (
    BIRTH_DATE_RE,
    DATE_RE,
    parse_birth_date,
    parse_date,
    phrase_birth_date,
    phrase_date,
    say_date,
)
from core.grammar.digits import PHONE_RE, parse_phone, parse_pin, phrase_phone, say_digits
from core.grammar.emails import EMAIL_RE, parse_email, phrase_email, say_email
from core.grammar.numbers import (
    MONEY_RE,
    NUMBER_RE,
    PERCENT_RE,
    parse_money,
    parse_number,
    parse_percent,
    phrase_money,
    phrase_percent,
    say_money,
    say_number,
    say_percent,
)
from core.grammar.spans import (
    DATE_RANGE_RE,
    DURATION_RE,
    EVENT_TIME_RE,
    parse_date_range,
    parse_duration,
    parse_event_time,
    phrase_date_range,
    phrase_duration,
    phrase_event_time,
    say_date_range,
    say_event_time,
)
from core.grammar.times import (
    DATETIME_RE,
    TIME_RE,
    iso_datetime,
    iso_time,
    parse_datetime,
    parse_time,
    phrase_datetime,
    phrase_time,
    say_datetime,
    say_time,
)
from core.grammar.vocab import DATE_WORDS, MOMENT_WORDS, TIME_WORDS

Parse = Callable[[str, datetime], Any]
Say = Callable[[Any, datetime], str]
Phrase = Callable[[Any, datetime, random.Random], str]
Examples = Callable[[datetime], Sequence[Any]]


@dataclass(frozen=True, eq=False)
class SlotType:
    """One kind of slot value.

    `pattern` is the regex fragment a template uses to find the slot; `parse` turns the matched words into
    the value a tool receives (None when they are not one); `say` is the words for a spoken reply; `phrase`
    is one of the ways a caller says a value (for generated utterances); `examples` gives sample values.
    `loose`, when set, is a cheap superset of `pattern` that templates try first (see `vocab`).
    `lexicon` holds words that on their own say a value of this kind is meant (a symptom, a department);
    the intent model reads them as the class `word_class`.
    """

    name: str
    pattern: str
    parse: Parse
    say: Say
    phrase: Phrase
    examples: Examples
    free_text: bool = False
    loose: str | None = None
    word_class: str = ""
    lexicon: frozenset[str] = frozenset()


def fixed(values: Sequence[Any]) -> Examples:
    """Examples that do not depend on the day."""
    return lambda _now: values


_fixed = fixed


def _number_type(name: str, values: Sequence[int], low: int, high: int) -> SlotType:
    def parse(text: str, _now: datetime) -> int | None:
        value = parse_number(text)
        return value if isinstance(value, int) and low <= value <= high else None

    return SlotType(
        name, NUMBER_RE, parse, lambda v, _n: say_number(v),
        lambda v, _n, rng: str(v) if rng.random() < 0.3 else say_number(v), _fixed(values),
    )


_ARTICLES = re.compile(r"^(?:the|a|an|my|our|this|that) ")
_FUNCTION_ONLY = re.compile(
    r"(?:(?:to|the|a|an|my|it|on|at|in|for|of|and|is|me|as|list|lists|something|anything|stuff|some) ?)+")
"""Free text made only of function words ("to", "the"), "list" or "something" is a mis-split or a request
still to be said ("add something to my calendar"), never a title."""


_STATED_WEIGHT = (r"(?:it is|this is|that is|it's) (?:really |very |super |extremely |quite |pretty |so )?"
                  r"(?:important|urgent|critical)")
"""A reminder's weight said as an aside ("remind me at nine to take my pills, it's really important"): high."""
_DANGLING_TOPIC = re.compile(r" (?:about|regarding|concerning)$")
_TRAILING_LINKS = re.compile(
    r"(?: (?:before|by|for|on|at|until|till|due|from|in|to|with|and|so|but|or|around"
    r"|just|(?:no|without a|with no) (?:date|deadline|due date)(?: on it| for it)?"
    r"|(?:make|mark|set|put|have) (?:it|that)(?: as)?|and (?:make|mark|set)|(?:it|this|that) is"
    r"(?: really| very| super| extremely| quite| pretty| so)?"
    r"|(?:cancel|delete|remove|drop|scrap) (?:it|that|this|them)"
    r"|(?:cross|check|tick|knock|scratch|mark) (?:it|that|this|them) off))+$")
"""Words that only lead into what comes after them ("... the chimney sweep and mark it" medium priority,
"... on the camry it is" low importance): free text does not end with them."""


_PHRASAL_END = re.compile(r"\b(?:log|logged|logging|sign|signed|signing|check|checked|checking|plug|plugged|turn|turned"
                          r"|switch|switched|show|showed|shows) (?:in|on|up)$")
"""A verb whose last word is part of it ("won't let me log in"), not a link into a value still to come."""


def trim_links(value: str) -> str:
    """`value` without the words at its end that only lead into something else ("friday [so cancel it]")."""
    return value if _PHRASAL_END.search(value) else _TRAILING_LINKS.sub("", value)


def free_text(name: str, examples: Sequence[str], strip_articles: bool = True, suffix: str = "",
              possessive: bool = True, lead: str = "", tail: str = "") -> SlotType:
    """A slot that can hold any words (titles, messages, names of things); `suffix` is a regex of words
    said after the value that are not part of it (a team's "team" or "group"); `lead` and `tail` are
    regexes of words that open or close a value without being part of it ("a copy of" my license, the
    statements "went out in the mail")."""
    trailing = re.compile(rf"(?: (?:{suffix}))+$") if suffix else None
    leading = re.compile(rf"^(?:(?:{lead}) )+") if lead else None
    closing = re.compile(rf" (?:{tail})(?: .*)?$") if tail else None

    def parse(text: str, _now: datetime) -> str | None:
        value = text.strip()
        if closing is not None:
            value = closing.sub("", value)
        if leading is not None:
            value = leading.sub("", value)
        value = _ARTICLES.sub("", value) if strip_articles else value
        if not _PHRASAL_END.search(value):
            value = _TRAILING_LINKS.sub("", value)
        if trailing is not None:
            value = trailing.sub("", value)
        if not possessive and value.endswith("'s"):
            value = value[:-2]  # "the team dinner's location": the record is the team dinner
        if _DANGLING_TOPIC.search(value):
            return None  # "call aunt may about [thanksgiving]": the topic is part of the text, not a date
        return value if value and not _FUNCTION_ONLY.fullmatch(value) else None

    return SlotType(
        name, r"[^ ].*?", parse, lambda v, _n: str(v), lambda v, _n, _r: str(v), _fixed(examples), free_text=True
    )


_STREET = re.compile(r"\b(?:street|st|avenue|ave|road|rd|lane|drive|boulevard|blvd|way|place|court|floor|suite|room|"
                     r"highway|parkway|plaza)\b")
_CLOCK_OPENING = re.compile(rf"^(?:(?:at|on|by) )?(?:{TIME_RE}|{DATE_RE})(?: |$)")


_CLAUSE = re.compile(r"\b(?:i|me|you|can|could|would|should|need|want|like|please|but|so|because)\b")


_ASKS_TO_ADD = re.compile(r"\b(?:(?:can|could|would|will) you (?:add|put|jot|write)|(?:add|put|jot|write) (?:that|this) (?:to|on|down))\b"
                          r"|\badd that$")
"""A request to add, inside what was read as the thing to add ("get [... by friday can you add that] to my list")."""
_ASKS_TO_REMIND = re.compile(r"\bremind (?:me|us)\b|\bremind$")


_AFTER_A_NAME = frozenset({"it", "its", "we", "and", "because", "for", "please", "thanks", "thank", "she", "he", "they",
                           "our", "my", "this", "that", "so", "at", "on", "with", "is", "are", "but"})
"""Words that start what a caller says after a name ("under okonkwo [it is] our office party")."""


def _person_name(text: str) -> str | None:
    """A name as said, up to where the sentence goes on ("okonkwo it is our office party": Okonkwo)."""
    words = text.split()
    cut = next((i for i, w in enumerate(words) if i and w in _AFTER_A_NAME), len(words))
    return " ".join(words[:cut]).title() or None


_NO_REASON = frozenset({"i", "would", "do", "be", "better", "off", "rather", "speaking", "talking", "think", "much",
                        "prefer", "just", "really", "honestly", "talk", "speak", "to", "with", "me", "please", "a", "an",
                        "actual", "real", "live", "person", "human", "someone", "somebody", "agent", "representative"})
"""Words of a wish to speak to a person, which state no reason for it."""


def _refusing(base: SlotType, refuse: Callable[[str, str], bool]) -> SlotType:
    """`base`, but a reading `refuse(words said, value)` turns down is no value of this kind."""

    def parse(text: str, now: datetime) -> str | None:
        value = base.parse(text, now)
        return value if isinstance(value, str) and not refuse(text.strip(), value) else None

    return SlotType(base.name, base.pattern, parse, base.say, base.phrase, base.examples, free_text=True)


def _stated_event() -> SlotType:
    """An event the caller says they have ("i have [a dentist appointment] on friday at ten"): a few words that
    name a thing, not a clause ("i have [a sore throat can i come in] tomorrow at nine" asks for something)."""
    return _refusing(free_text("stated_event", ["dentist appointment", "meeting", "haircut", "book club"]),
                     lambda _said, value: len(value.split()) > 5 or bool(_CLAUSE.search(value)))


_ERRAND = re.compile(r"^\w+ (?:the|my|a|an|our|his|her|their|some|it|them|up|out)\b")
"""A verb and its object ("wash the car", "calling the plumber", "pick up ..."): an errand, not a team's name."""
_NEW_RECORD = re.compile(r"(?:^|\b(?:a|an|another|one more) )(?:new )?(?:task|todo|to do|reminder|event|item|entry)\b")


def _reference() -> SlotType:
    """Words that name an existing record; "new task fix the sink ...", "i need a todo for ..." name a record to
    make, not one to change."""
    base = free_text("ref", ["buy milk", "milk", "call mom", "rent", "passport", "dentist", "team sync"], possessive=False,
                     tail=r"(?:that |which )?(?:i|we) (?:booked|made|put in|put down|set up|scheduled|added|have|had)"
                          r"|(?:it|that|which|they) (?:got|was|were|has been|is|are) (?:cancelled|canceled|called off"
                          r"|postponed|done|finished|over)")
    return _refusing(base, lambda said, _value: bool(_NEW_RECORD.search(said)))


_DUE_END = re.compile(r" due(?: (?:on|by))?$")
_FOR_SOMEONE = re.compile(r"^(?:me|us|myself) ")


def _event_title() -> SlotType:
    """What an event is called; not what a todo says ("add [get a present for anjali] due december fifth": a
    deadline is a todo's), and not a service booked for the caller ("book [me a flight]")."""
    base = free_text("event_title", ["team sync", "dentist", "lunch with sara", "project review", "yoga class",
                                     "meeting with bob"])
    return _refusing(base, lambda said, _value: bool(_DUE_END.search(said) or _FOR_SOMEONE.match(said)))


def place_type() -> SlotType:
    """Where an event is: free text, but not a clock time or a day ("friday at [two about the budget]", "moved to
    [thursday at three]" say when, not where), unless an address follows ("at 5 main street")."""
    base = free_text("location", ["cafe luna", "room two", "city hall", "main street"], strip_articles=False)
    return _refusing(base, lambda _said, value: bool(_CLOCK_OPENING.match(value)) and not _STREET.search(value))


def time_type(name: str, policy: str, values: Sequence[str]) -> SlotType:
    """A clock time; `policy` \"meal\" reads a bare 1-10 as afternoon or evening."""
    def parse(text: str, _now: datetime) -> str | None:
        value = parse_time(text, "meal" if policy == "meal" else "general")
        return iso_time(value) if value else None

    return SlotType(
        name, TIME_RE, parse, lambda v, _n: say_time(time.fromisoformat(v)),
        lambda v, _n, rng: phrase_time(time.fromisoformat(v), rng, "meal" if policy == "meal" else "general"),
        _fixed(values), loose=TIME_WORDS,
    )


def date_examples(now: datetime) -> list[str]:
    today = now.date()
    days = [0, 1, 2, 3, 4, 5, 6, 8, 11, 16, 25, 40]
    return [(today + timedelta(days=d)).isoformat() for d in days]


def _datetime_examples(now: datetime) -> list[str]:
    out = []
    for i, d in enumerate(date_examples(now)[1:]):
        clock = [time(9), time(14), time(15, 30), time(10), time(16), time(11, 15), time(19)][i % 7]
        out.append(iso_datetime(datetime.combine(date.fromisoformat(d), clock)))
    return out


def _range_examples(now: datetime) -> list[tuple[str, str]]:
    phrases = ["today", "tomorrow", "this week", "next week", "this weekend", "friday", "next month",
               "the next three days"]
    return [r for p in phrases if (r := parse_date_range(p, now))]


def _event_examples(now: datetime) -> list[tuple[str, str | None]]:
    starts = [datetime.fromisoformat(v) for v in _datetime_examples(now)]
    return [
        (iso_datetime(s), iso_datetime(s + timedelta(hours=1)) if i % 2 and s.hour >= 10 else None)
        for i, s in enumerate(starts)
    ]


def choice_type(choice: choices.Choice, word_class: str = "", lexicon: frozenset[str] = frozenset()) -> SlotType:
    """A slot holding one of `choice`'s values, said any of its ways."""
    return SlotType(
        choice.name, choice.pattern, lambda t, _n: choice.parse(t), lambda v, _n: choice.say(v),
        lambda v, _n, rng: choice.phrase(v, rng), _fixed(choice.values), word_class=word_class, lexicon=lexicon,
    )


def _iso_value(parse: Callable[[str, datetime], date | datetime | None]) -> Parse:
    def parse_iso(text: str, now: datetime) -> str | None:
        value = parse(text, now)
        if isinstance(value, datetime):
            return iso_datetime(value)
        return value.isoformat() if value else None

    return parse_iso


_TYPES: tuple[SlotType, ...] = (
    _number_type("integer", [2, 3, 4, 10, 12, 15, 20, 23, 30, 105], 0, 10**9),
    _number_type("years", [10, 15, 20, 25, 30], 1, 50),
    SlotType("money", MONEY_RE, lambda t, _n: parse_money(t), lambda v, _n: say_money(v), phrase_money,
             _fixed([350000.0, 420000.0, 85000.0, 120000.0, 60000.0, 1200000.0, 75000.0, 40000.0, 250000.0])),
    SlotType("percent", PERCENT_RE, lambda t, _n: parse_percent(t), lambda v, _n: say_percent(v),
             phrase_percent, _fixed([6.5, 7.0, 5.25, 6.0, 4.75, 7.125])),
    SlotType("date", DATE_RE, _iso_value(parse_date), lambda v, n: say_date(date.fromisoformat(v), n),
             lambda v, n, rng: phrase_date(date.fromisoformat(v), n, rng), date_examples, loose=DATE_WORDS),
    SlotType("birth_date", BIRTH_DATE_RE, _iso_value(parse_birth_date), lambda v, n: say_date(date.fromisoformat(v), n),
             lambda v, _n, rng: phrase_birth_date(date.fromisoformat(v), rng),
             _fixed(["1985-03-03", "1990-07-14", "1972-12-01", "2001-05-23", "1964-10-30"]), loose=DATE_WORDS),
    time_type("time", "general", ["09:00", "14:00", "14:30", "12:00", "10:15", "16:45", "08:30", "11:00"]),
    SlotType("datetime", DATETIME_RE, _iso_value(parse_datetime),
             lambda v, n: say_datetime(datetime.fromisoformat(v), n),
             lambda v, n, rng: phrase_datetime(datetime.fromisoformat(v), n, rng), _datetime_examples,
             loose=MOMENT_WORDS),
    SlotType("date_range", DATE_RANGE_RE, parse_date_range, say_date_range, phrase_date_range, _range_examples,
             loose=MOMENT_WORDS),
    SlotType("event_time", EVENT_TIME_RE, parse_event_time, say_event_time, phrase_event_time, _event_examples,
             loose=MOMENT_WORDS),
    SlotType("duration", DURATION_RE, lambda t, _n: parse_duration(t), lambda v, _n: str(v),
             lambda v, _n, rng: phrase_duration(v, rng),
             _fixed(["3 days", "2 weeks", "since yesterday", "1 week", "5 days", "since last night", "2 hours"]),
             loose=MOMENT_WORDS),
    SlotType("email", EMAIL_RE, lambda t, _n: parse_email(t), lambda v, _n: say_email(v),
             lambda v, _n, rng: phrase_email(v, rng),
             _fixed(["bob@example.com", "alice.smith@example.com", "carol@acme.io", "dave_jones@gmail.com",
                     "maria@hanok.kr"])),
    SlotType("phone", PHONE_RE, lambda t, _n: parse_phone(t), lambda v, _n: say_digits(v),
             lambda v, _n, rng: phrase_phone(v, rng), _fixed(["5551234567", "4155550199", "2125550143"])),
    # digit by digit, or as the number a recogniser wrote them as ("four hundred seventeen thousand ...")
    SlotType("pin", f"(?:{PHONE_RE}|{NUMBER_RE})", lambda t, _n: parse_pin(t), lambda v, _n: " ".join(say_digits(v).replace(",", "").split()),
             lambda v, _n, rng: say_digits(v).replace(",", ""), _fixed(["1234", "4321", "987654", "24680"])),
    choice_type(choices.PRIORITY, "<priority>",
                frozenset(w for w in choices.PRIORITY.lookup if " " not in w and w != "top")),
    SlotType("importance", f"(?:{choices.IMPORTANCE.pattern} (?:importance|important|priority)|{_STATED_WEIGHT})",
             lambda t, _n: "high" if re.fullmatch(_STATED_WEIGHT, t) else choices.IMPORTANCE.parse(t.rsplit(" ", 1)[0]),
             lambda v, _n: f"{v} importance",
             lambda v, _n, rng: f"{choices.IMPORTANCE.phrase(v, rng)} {rng.choice(('importance', 'priority'))}",
             _fixed(choices.IMPORTANCE.values)),
    choice_type(choices.ROLE, "<role>", frozenset(w for w in choices.ROLE.lookup if " " not in w and w != "member")),
    SlotType("name", r"[a-z][a-z'.]*", lambda t, _n: _person_name(t), lambda v, _n: str(v),
             lambda v, _n, _r: str(v).lower(), _fixed(["John", "Maria", "Smith", "Garcia", "Lee", "Chen", "Olivia"]),
             free_text=True),
    free_text("text", ["the quarterly report", "new laptop setup", "budget review"]),
    _refusing(free_text("title", ["buy milk", "call mom", "pay rent", "renew passport", "water the plants",
                                  "pick up dry cleaning", "book flights to boston", "send the invoice"],
                        lead=r"(?:for )?me to",  # "make a to do for me to renew the boat registration"
                        tail=r"(?:(?:it is|that is|and it is|and make it|make it|mark it) )?(?:very |super |really )?"
                             r"(?:urgent|high priority|low priority|top priority)$"
                             r"|as an? (?:new )?(?:todo|task|item|reminder)$"),  # "[return the library books] as a todo"
              lambda _said, value: bool(_ASKS_TO_ADD.search(value))),
    _event_title(),
    _stated_event(),
    _refusing(free_text("message", ["call mom", "take my medicine", "feed the cat", "check the oven", "pick up the kids",
                                    "submit the report"]),
              lambda _said, value: bool(_ASKS_TO_REMIND.search(value))),
    _reference(),
    _refusing(free_text("team", ["design", "marketing", "engineering", "sales", "support"], suffix="team|group",
                        tail=r"he|she|they|who|because|since|as of|starting|effective|with me|besides me|apart from me"
                             r"|and (?:what|their|his|her) roles?|(?:his|her|their)(?: email| e mail)?$",
                        lead=r"(?:(?:my|our) )?(?:neighbor|neighbour|friend|brother|sister|cousin|wife|husband|partner|son"
                             r"|daughter|mom|dad|coworker|colleague|boss|roommate|assistant) (?:to|on|in|into) (?:the|my|our)"),
              lambda _said, value: bool(_ERRAND.match(value))),
    _refusing(free_text("query", ["bob", "alice", "smith", "carol"], strip_articles=False, possessive=False,
                        lead=r"somebody|someone|anybody|anyone|a person|a guy|a woman|a man|named|called|by the name of",
                        tail=r"(?:in|on|from|among) (?:any of )?(?:my|our|the) (?:teams?|groups?|directory|contacts)"),
              lambda said, value: said.split()[0] in ("my", "your", "our", "the", "this", "that")  # "what is [my] email"
              or bool(set(value.split()) & {"email", "address", "phone", "number"})),
    _refusing(free_text("reason", ["a checkup", "a follow up", "my knee", "a flu shot", "a rash"], strip_articles=False,
                        lead=r"around|there|available|free|(?:right )?now|somewhere|(?:who|that) (?:can|could) help (?:me )?(?:with|about)",
                        tail=r"(?:can|could|would|will) (?:someone|somebody|anyone|anybody|you)|(?:can|could|may) i (?:talk|speak)"
                        # "[my claim got denied] and i want someone to explain it", "[my last meal] to an actual person"
                        r"|(?:and )?i (?:want|need|would like) (?:someone|somebody|a person|a human|an? (?:actual|real|live) (?:person|human))"
                        r"|to (?:an?|the|some) (?:actual |real |live )?(?:person|human|human being|someone|somebody|agent|representative)$"),
              lambda _said, value: value.split()[0] in ("than", "instead")  # "a nurse [than a machine]"
              or not set(value.split()) - _NO_REASON),  # "i would do [better speaking] with a human"
    place_type(),
    free_text("description", ["launch planning", "weekly planning"], strip_articles=False),
)

SLOT_TYPES: Mapping[str, SlotType] = {t.name: t for t in _TYPES}
"""Every slot type by name: the ones here, and the ones domains `register` (a party size, a symptom)."""
_registered: dict[str, SlotType] = SLOT_TYPES  # type: ignore[assignment]
_version = [0]


def register(*types: SlotType) -> None:
    """Add a domain's own slot types; a name already taken by another type is an error."""
    for kind in types:
        known = _registered.get(kind.name)
        if known is not None and known is not kind:
            raise ValueError(f"slot type {kind.name!r} is registered already")
        _registered[kind.name] = kind
    _version[0] += 1


def version() -> int:
    """Changes whenever a slot type is registered (for what is built from all of them)."""
    return _version[0]


def slot_type(name: str) -> SlotType:
    """The slot type called `name` (KeyError names the unknown type)."""
    try:
        return SLOT_TYPES[name]
    except KeyError:
        raise KeyError(f"unknown slot type {name!r}") from None
