"""The kinds of values patients say: symptoms, insurers, bookings."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from core.grammar.dates import WEEKDAYS
from core.grammar.free_slots import free_text, refusing
from core.grammar.slot_type import SlotType, fixed
from core.grammar.spans import DURATION_RE
from domains import bookings

SYMPTOM_WORDS = frozenset({
    "pain", "pains", "painful", "ache", "aches", "aching", "hurts", "hurting", "sore", "swollen", "swelling",
    "fever", "feverish", "cough", "coughing", "headache", "headaches", "migraine", "migraines", "nausea",
    "nauseous", "vomiting", "throwing", "dizzy", "dizziness", "rash", "itchy", "itching", "bleeding", "breath",
    "breathing", "wheezing", "congestion", "congested", "runny", "sneezing", "fatigue", "exhausted", "chills",
    "sweats", "cramps", "cramping", "diarrhea", "constipation", "insomnia", "blurry", "numb", "numbness",
    "tingling", "sprain", "sprained", "burned", "burn", "blister", "blistering", "infection", "infected", "flu",
    "allergies", "allergic", "throat", "chest", "stomach", "stomachache", "knee", "ankle", "wrist", "shoulder",
    "ear", "earache", "toothache", "tightness", "palpitations", "fainting", "faint", "sick", "ill", "unwell",
    "temperature", "symptoms", "symptom", "lump", "bruise", "bruised", "stiff", "stiffness", "spells",
    "vision", "sinus", "sinuses", "bloated", "heartburn", "nose", "joints", "muscle", "muscles", "hip",
    "vomit", "vomited", "puke", "puked", "puking", "lightheaded", "hives", "itch", "inflamed", "fractured",
    "concussion", "injured", "injury", "asthma", "eczema", "sunburn", "dehydrated", "cramp", "wheeze", "nosebleed",
    "nosebleeds", "diarrhoea", "earaches", "backache", "shortness", "achy", "blotchy", "puffy", "watery", "crusty",
    "bumpy", "tingly", "scratchy", "tired", "fatigued",
})
"""Words that on their own say a caller is describing how they feel (the intent model's `<symptom>`)."""
SYNONYMS = {"threw up": "vomited", "throwing up": "vomiting", "thrown up": "vomited", "light headed": "lightheaded"}
"""Symptoms said in two words, as the one word the lexicon knows."""

SYMPTOMS = replace(
    free_text("symptoms", ["headache", "sore throat", "fever", "back pain", "cough and a runny nose", "stomach ache"],
              tail=r"(?:that|which|it) (?:is|has|have|was|had) (?:been )?(?:going on|going|happening|bothering me|there)$"
                   r"|(?:it|that) (?:is|has) been$|(?:and )?(?:they|it|that|which)(?:'ve|'s| have| has| is)? (?:started|began|been)"
                   r"|(?:and )?(?:they|it|that|which) (?:first )?(?:showed up|appeared|came on|popped up|broke out)"
                   r"|(?:so )?(?:can|could|would|will) you",  # "... [can you pass that on to the doctor]"
              lead=r"(?:(?:i )?(?:wanted|want|need|needed|would like|have|had) to )?(?:(?:tell|let|warn|inform) )?"
                   r"(?:(?:the|my|a|your) )?(?:nurse|nurses|doctor|doctors|clinic|staff)(?: know)?(?: about| that)?|"
                   r"(?:(?:my|our|his|her) )?(?:son|daughter|kid|child|baby|husband|wife|partner|mom|dad|mother|father)"
                   r"(?:'s|s)?(?: (?:has been|had been|has had|has got|is having|has|have|had|is|keeps|got|been))?|been|being|feeling"
                   r"|(?:(?:i )?(?:wanted|want|need|needed|would like) to )?(?:mention|report)"),
    word_class="<symptom>", lexicon=SYMPTOM_WORDS,
)
_ERRAND = re.compile(r"^(?:to|got to|gotta) |^(?:sent|turned|handed|submitted|uploaded|mailed|emailed|paid|signed|finished"
                     r"|done|made|booked|called|written|filled|dropped|picked|got) ")
"""Words after "i have" that say what the caller has to do or has done ("i have [sent in my pay stubs]")."""
_PLAN = re.compile(r"^(?:(?:a|an|my|our|the|this|that|some|another) )?(?:\w+ )?(?:appointment|meeting|call|interview"
                   r"|flight|class|lesson|practice|rehearsal|game|party|reservation|conference|date)s?\b"
                   r"|^(?:(?:a|an|my|our|the|some) )?(?:lunch|dinner|breakfast|brunch|coffee|drinks)\b"
                   r"|^(?:(?:a|an|my|our|the|some|another|one more) )?(?:\w+ )?(?:errand|task|chore|todo|reminder)s?\b")
"""Words after "i have" that name a plan for the calendar ("i have [lunch with dana] friday at noon") or the
list ("i have got [an errand for you] ...")."""


_ALL = re.compile(r"\ball (?=(?:swollen|red|puffy|bruised|itchy|stiff|sore|blotchy|bumpy|scratchy|congested|stuffy"
                  r"|numb|tingly|achy|blurry|shaky|sweaty|clammy|inflamed|infected)\b)")
""""my ankle is [all] swollen": the "all" says how much, not what."""


_HOW_LONG = re.compile(rf" (?:for|since) (?:{DURATION_RE}) (?=\w)")


def _said_inside(value: str) -> bool:
    """How long, said inside with no further complaint after it ("dizzy [for the past three days] especially when i
    get up"): the words are a complaint, then how long, then when; not "a cough for three days and a fever"."""
    m = _HOW_LONG.search(value)
    return m is not None and not SYMPTOM_WORDS & set(value[m.end():].split())
_TOLD_TO = re.compile(r"\b(?:to|for|with) (?:the|my|your) (?:clinic|doctor|doctors|nurse|nurses|staff|office|front desk)\b")
""""report a rash on my arms [to the clinic] it is itchy": whom the caller tells, not what they have."""


def _no_errand(text: str, now: datetime) -> str | None:
    """A symptom, not something the caller has to do ("i have [to return the tile saw] by wednesday") or a
    plan ("i have [a meeting with the landlord] at four")."""
    value = _SYMPTOM_TEXT(text, now)
    if not isinstance(value, str) or _ERRAND.match(value) or _PLAN.match(value) or _said_inside(value):
        return None
    return " ".join(_TOLD_TO.sub("", _ALL.sub("", value)).split()) or None


_SYMPTOM_TEXT = SYMPTOMS.parse
SYMPTOMS = replace(SYMPTOMS, parse=_no_errand)
_A_CLAUSE = re.compile(r"\b(?:it|is|was|i|we|you|are|am)\b")
_KIND_OF_COVER = re.compile(r"(?:(?:new|current|old|private|family) )?(?:health|medical|dental|vision|new|current|old)")
INSURANCE = refusing(
    free_text("insurance", ["blue cross", "aetna", "kaiser", "united healthcare"], lead=r"now|is now|with|through",
              tail=r"and (?:(?:uh|um) )?(?:my|the|also)|(?:last|this) (?:month|week|year)|(?:can|could|would) you|please|so"
                   r"|as of|starting|effective|from (?:now|today|the first)|now"  # "... to aetna [and my phone to ...]"
                   r"|(?:update|change|put|add|fix) (?:my|it|that|the|this)"),  # "... kaiser [now] [update my record]"
    lambda _said, value: bool(_A_CLAUSE.search(value) or _KIND_OF_COVER.fullmatch(value)))
"""An insurer is named, not told ("over the [summer it is hargreave] now"), nor a kind of cover ("my [health]
insurance changed to ...")."""  # "... to aetna [and my phone to ...]"

_NOT_A_NAME = (*WEEKDAYS, "today", "tomorrow", "tonight", "this", "next", "on", "at", "for", "about", "in", "and", "or",
               "to", "please", "soon", "asap", "because", "the", "a", "an", "i", "my", "me", "who", "that", "again",
               "appointment", "office", "as", "if", "when", "is", "was", "first", "available")
"""Words after "doctor" or "nurse" that are no name ("see the doctor tomorrow", "a nurse available")."""
_TITLE = {"dr": "doctor", "doc": "doctor"}


def _provider(text: str, _now: object) -> str | None:
    """"dr ramaswamy" -> "doctor ramaswamy": the title as said in full, then the name."""
    title, _, name = text.strip().partition(" ")
    return f"{_TITLE.get(title, title)} {name}" if name else None


PROVIDER = SlotType(
    "provider", r"(?:doctor|dr|doc|nurse) (?!(?:" + "|".join(map(re.escape, _NOT_A_NAME)) + r")\b)[a-z][a-z'-]*",
    _provider, lambda v, _n: str(v), lambda v, _n, _r: str(v),
    fixed(["doctor patel", "nurse garcia", "doctor okafor", "doctor lee"]),
)
"""The doctor or nurse a caller asks for by name ("with doctor ramaswamy", "to see nurse delgado")."""

VISIT = SlotType(
    "visit",
    r"(?:(?:annual|yearly|routine|regular|wellness|school|sports|six month|follow up) )?(?:checkup|check up|physical|exam"
    r"|(?:flu |covid |tetanus |booster )?(?:shot|shots|vaccination|vaccinations|vaccine|vaccines|jab)|booster|blood work"
    r"|blood test|(?:blood pressure|cholesterol|eye|skin|mole|hearing) (?:check|test|screening)|pap smear|mammogram"
    r"|follow up|followup|consultation|consult)",
    lambda text, _now: text.strip(), lambda v, _n: str(v), lambda v, _n, _r: str(v),
    fixed(["checkup", "physical", "flu shot", "annual physical", "blood pressure check", "vaccinations", "follow up", "yearly checkup"]),
)
"""A kind of visit said as what the caller wants ("could i get [a physical] monday"): it is also the reason."""

ON_BOOKING = free_text("booking_name", ["maria lopez", "james chen", "okafor"], lead=r"(?:the )?name(?: is| of)?",
                       tail=r"(?:but|and|so) i|i (?:do|did|never|cannot|can not|lost|forgot)")  # "[grace liu] i don't have my code"
"""The name an appointment is under, said beside the appointment as proof that it is the caller's ("cancel my
physical ... the name is [greta holm]"); said alone, the name is how the caller names the appointment."""

TYPES = (SYMPTOMS, INSURANCE, PROVIDER, VISIT, ON_BOOKING, *bookings.TYPES)
