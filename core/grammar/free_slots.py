"""Free-text slot types: the caller's own words for a thing (a title, a reason, a place, a record's name), with
the words that open or close them without being part of them, and the readings each kind turns down."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime

from core.grammar.dates import DATE_RE
from core.grammar.slot_type import SlotType, fixed
from core.grammar.times import TIME_RE

_ARTICLES = re.compile(r"^(?:the|a|an|my|our|this|that) ")
_FUNCTION_ONLY = re.compile(
    r"(?:(?:to|the|a|an|my|it|on|at|in|for|of|and|is|me|as|list|lists|something|anything|stuff|some) ?)+")
"""Free text made only of function words ("to", "the"), "list" or "something" is a mis-split or a request
still to be said ("add something to my calendar"), never a title."""


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
        name, r"[^ ].*?", parse, lambda v, _n: str(v), lambda v, _n, _r: str(v), fixed(examples), free_text=True
    )


_STREET = re.compile(r"\b(?:street|st|avenue|ave|road|rd|lane|drive|boulevard|blvd|way|place|court|floor|suite|room|"
                     r"highway|parkway|plaza)\b")
_CLOCK_OPENING = re.compile(rf"^(?:(?:at|on|by) )?(?:{TIME_RE}|{DATE_RE})(?: |$)")


_CLAUSE = re.compile(r"\b(?:i|me|you|can|could|would|should|need|want|like|please|but|so|because)\b")


ASKS_TO_ADD = re.compile(r"\b(?:(?:can|could|would|will) you (?:add|put|jot|write)|(?:add|put|jot|write) (?:that|this) (?:to|on|down))\b"
                          r"|\badd that$")
"""A request to add, inside what was read as the thing to add ("get [... by friday can you add that] to my list")."""
ASKS_TO_REMIND = re.compile(r"\bremind (?:me|us)\b|\bremind$")


WHY = r"because|cause|cuz|since (?:i|he|she|they|we|it)|or (?:else|(?:i|he|she|they|we) (?:will|would|might))"
"""Why a caller wants a thing, said after it: "take the casserole out [because i always forget]"; no part of it."""


_AFTER_A_NAME = frozenset({"it", "its", "we", "and", "because", "for", "please", "thanks", "thank", "she", "he", "they",
                           "our", "my", "this", "that", "so", "at", "on", "with", "is", "are", "but", "not", "now"})
"""Words that start what a caller says after a name ("under okonkwo [it is] our office party")."""


_NO_NAME = frozenset({"name", "names", "is", "my", "me", "i", "the", "a", "an", "patient", "myself", "as", "to"})
"""Words that are no name, only the words around one ("register [my name] is ...")."""


def person_name(text: str) -> str | None:
    """A name as said, up to where the sentence goes on ("okonkwo it is our office party": Okonkwo)."""
    words = text.split()
    if not words or words[0] in _NO_NAME:
        return None
    cut = next((i for i, w in enumerate(words) if i and w in _AFTER_A_NAME), len(words))
    return " ".join(words[:cut]).title() or None


NO_REASON = frozenset({"i", "would", "do", "be", "better", "off", "rather", "speaking", "talking", "think", "much",
                        "prefer", "just", "really", "honestly", "talk", "speak", "to", "with", "me", "please", "a", "an",
                        "actual", "real", "live", "person", "human", "someone", "somebody", "agent", "representative"})
"""Words of a wish to speak to a person, which state no reason for it."""
FED_UP = re.compile(r"(?:(?:i have|i have got|i got) )?(?:no time for this|(?:this|it) is (?:going nowhere|getting (?:nowhere|"
                    r"ridiculous|complicated|annoying)|ridiculous|useless|a waste of time|taking (?:too|so) long|so frustrating"
                    r"|frustrating)|(?:you are|this thing is|this robot is|this machine is) (?:not|useless|hopeless)|i (?:give up"
                    r"|am done with this|do not have time for this))\b")
"""A caller fed up with the call itself ("this is going nowhere", "no time for this"): why they want a person, but
not a reason to hand on to one."""


def refusing(base: SlotType, refuse: Callable[[str, str], bool]) -> SlotType:
    """`base`, but a reading `refuse(words said, value)` turns down is no value of this kind."""

    def parse(text: str, now: datetime) -> str | None:
        value = base.parse(text, now)
        return value if isinstance(value, str) and not refuse(text.strip(), value) else None

    return SlotType(base.name, base.pattern, parse, base.say, base.phrase, base.examples, free_text=True)


def stated_event() -> SlotType:
    """An event the caller says they have ("i have [a dentist appointment] on friday at ten"): a few words that
    name a thing, not a clause ("i have [a sore throat can i come in] tomorrow at nine" asks for something)."""
    return refusing(free_text("stated_event", ["dentist appointment", "meeting", "haircut", "book club"]),
                     lambda _said, value: len(value.split()) > 5 or bool(_CLAUSE.search(value)))


ERRAND = re.compile(r"^\w+ (?:the|my|a|an|our|his|her|their|some|it|them|up|out)\b")
"""A verb and its object ("wash the car", "calling the plumber", "pick up ..."): an errand, not a team's name."""
_NEW_RECORD = re.compile(r"(?:^|\b(?:a|an|another|one more) )(?:new )?(?:task|todo|to do|reminder|event|item|entry)\b")


def reference() -> SlotType:
    """Words that name an existing record; "new task fix the sink ...", "i need a todo for ..." name a record to
    make, not one to change."""
    base = free_text("ref", ["buy milk", "milk", "call mom", "rent", "passport", "dentist", "team sync"], possessive=False,
                     tail=r"(?:that |which )?(?:i|we) (?:booked|made|put in|put down|set up|scheduled|added|have|had)"
                          r"|(?:it|that|which|they) (?:got|was|were|has been|is|are) (?:cancelled|canceled|called off"
                          r"|postponed|done|finished|over)")
    return refusing(base, lambda said, _value: bool(_NEW_RECORD.search(said)))


_DUE_END = re.compile(r" due(?: (?:on|by))?$")
_FOR_SOMEONE = re.compile(r"^(?:me|us|myself) ")


def event_title() -> SlotType:
    """What an event is called; not what a todo says ("add [get a present for anjali] due december fifth": a
    deadline is a todo's), and not a service booked for the caller ("book [me a flight]")."""
    base = free_text("event_title", ["team sync", "dentist", "lunch with sara", "project review", "yoga class",
                                     "meeting with bob"])
    return refusing(base, lambda said, _value: bool(_DUE_END.search(said) or _FOR_SOMEONE.match(said)))


def place_type() -> SlotType:
    """Where an event is: free text, but not a clock time or a day ("friday at [two about the budget]", "moved to
    [thursday at three]" say when, not where), unless an address follows ("at 5 main street")."""
    base = free_text("location", ["cafe luna", "room two", "city hall", "main street"], strip_articles=False)
    return refusing(base, lambda _said, value: bool(_CLOCK_OPENING.match(value)) and not _STREET.search(value))
