"""Slot types as data: how a slot is matched, parsed to a typed value, said back, and exemplified."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta

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
from core.grammar.free_slots import (
    ASKS_TO_ADD,
    ASKS_TO_REMIND,
    ERRAND,
    FED_UP,
    NO_REASON,
    WHY,
    event_title,
    free_text,
    person_name,
    place_type,
    reference,
    refusing,
    stated_event,
)
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
from core.grammar.slot_type import Parse, SlotType, fixed
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

_fixed = fixed




def _number_type(name: str, values: Sequence[int], low: int, high: int) -> SlotType:
    def parse(text: str, _now: datetime) -> int | None:
        value = parse_number(text)
        return value if isinstance(value, int) and low <= value <= high else None

    return SlotType(
        name, NUMBER_RE, parse, lambda v, _n: say_number(v),
        lambda v, _n, rng: str(v) if rng.random() < 0.3 else say_number(v), _fixed(values),
    )


_STATED_WEIGHT = (r"(?:it is|this is|that is|it's) (?:really |very |super |extremely |quite |pretty |so )?"
                  r"(?:important|urgent|critical)")
"""A reminder's weight said as an aside ("remind me at nine to take my pills, it's really important"): high."""


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


_NO_TEAM = frozenset({"they", "they'll", "or", "i", "i'll", "will", "would", "if", "when", "here", "there"})
"""Words of a clause, never of a team's name ("this month [or they'll fine] me")."""

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
    SlotType("name", r"[a-z][a-z'.]*", lambda t, _n: person_name(t), lambda v, _n: str(v),
             lambda v, _n, _r: str(v).lower(), _fixed(["John", "Maria", "Smith", "Garcia", "Lee", "Chen", "Olivia"]),
             free_text=True),
    free_text("text", ["the quarterly report", "new laptop setup", "budget review"]),
    refusing(free_text("title", ["buy milk", "call mom", "pay rent", "renew passport", "water the plants",
                                  "pick up dry cleaning", "book flights to boston", "send the invoice"],
                        lead=r"(?:for )?(?:me|us|him|her|them|(?:my )?(?:brother|sister|son|daughter|husband|wife|partner|dad|mom|mother|father|kids?)) to",  # "make a to do for me to renew the boat registration", "a task for my brother to book the pavilion"
                        tail=r"(?:(?:it is|that is|and it is|and make it|make it|mark it) )?(?:very |super |really )?"
                             r"(?:urgent|high priority|low priority|top priority)$"
                             r"|as an? (?:new )?(?:todo|task|item|reminder)$"  # "[return the library books] as a todo"
                             r"|(?:and )?(?:that|it|this) (?:has|needs|ought|have|has got) to be (?:done|finished|paid|sent|in)"
                             r"|(?:his|her|their) (?:email|e mail|email address)(?: is| was)?$"
                             r"|" + WHY),
              lambda _said, value: bool(ASKS_TO_ADD.search(value))),
    event_title(),
    stated_event(),
    refusing(free_text("message", ["call mom", "take my medicine", "feed the cat", "check the oven", "pick up the kids",
                                    "submit the report"],
                        tail=WHY + r"|and make it (?:very |really )?(?:important|urgent|high priority)"),
              lambda _said, value: bool(ASKS_TO_REMIND.search(value))),
    reference(),
    refusing(free_text("team", ["design", "marketing", "engineering", "sales", "support"], suffix="team|group",
                        tail=r"he|she|they|who|because|since|as of|starting|effective|with me|besides me|apart from me"
                             r"|and (?:what|their|his|her) roles?|(?:his|her|their)(?: email| e mail)?$"
                             r"|team|group",  # "[the bell choir] team these days", "[hoa committee] team and what ..."
                        lead=r"(?:(?:my|our) )?(?:(?:neighbor|neighbour|friend|brother|sister|cousin|wife|husband|partner|son"
                             r"|daughter|mom|dad|coworker|colleague|boss|roommate|assistant)(?: in law)?|[a-z]+)"
                             r" (?:to|on|onto|in|into) (?:the|my|our)"),  # "put [marguerite on the] bell choir team"
              lambda _said, value: bool(ERRAND.match(value)) or bool(_NO_TEAM & set(value.split()))),
    refusing(free_text("query", ["bob", "alice", "smith", "carol"], strip_articles=False, possessive=False,
                        lead=r"somebody|someone|anybody|anyone|a person|a guy|a woman|a man|named|called|by the name of",
                        tail=r"(?:in|on|from|among) (?:any of )?(?:my|our|the) (?:teams?|groups?|directory|contacts)|for me"),
              lambda said, value: said.split()[0] in ("my", "your", "our", "the", "this", "that")  # "what is [my] email"
              or bool(set(value.split()) & {"email", "address", "phone", "number"})),
    refusing(free_text("reason", ["a checkup", "a follow up", "my knee", "a flu shot", "a rash"], strip_articles=False,
                        lead=r"around|there|available|free|(?:right )?now|somewhere|(?:who|that) (?:can|could) help (?:me )?(?:with|about)"
                             r"|i (?:was|got|have been|just got|have got|have)"  # "[i was] charged twice": what happened is the reason
                             # "the mortgage [people i have] questions about closing costs"
                             r"|(?:people|folks|specialists?|officers?|experts?|guy|lady|person|desk)",
                        tail=r"(?:can|could|would|will) (?:someone|somebody|anyone|anybody|you)|(?:can|could|may) i (?:talk|speak)"
                        # "[my claim got denied] and i want someone to explain it", "[my last meal] to an actual person"
                        r"|(?:and )?i (?:want|need|would like) (?:someone|somebody|a person|a human|an? (?:actual|real|live) (?:person|human))"
                        r"|to (?:an?|the|some) (?:actual |real |live )?(?:person|human|human being|someone|somebody|agent|representative)$"),
              lambda _said, value: value.split()[0] in ("than", "instead")  # "a nurse [than a machine]"
              or not set(value.split()) - NO_REASON or bool(FED_UP.match(value))),  # "i would do [better speaking] with a human"
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
