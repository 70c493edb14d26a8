"""The kinds of values mortgage applicants say: documents, employment, credit, what the loan is for,
and the words they use for a mortgage."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from core.grammar.choices import Choice
from core.grammar.free_slots import free_text
from core.grammar.numbers import NUMBER_RE, parse_number
from core.grammar.slot_type import SlotType
from core.grammar.slots import choice_type

DOCUMENT_WORDS = frozenset({"stubs", "paystubs", "paystub", "payslips", "w2", "1099", "statements", "license"})
"""Words that on their own name a document an application needs (the intent model's `<document>`)."""

EMPLOYMENT = Choice(
    "employment_status",
    {
        "employed": ("employed full time", "working full time", "working", "a salaried employee", "work full time",
                     "full time", "work part time", "working part time", "part time", "on salary", "have a job"),
        "self_employed": ("self employed", "a freelancer", "freelancing", "a business owner", "my own boss",
                          "an independent contractor", "a contractor", "work for myself", "working for myself",
                          "run my own business", "have my own business", "own my own business", "own a business",
                          "own a small business", "run a small business"),
        "retired": (),
        "unemployed": ("not working", "between jobs", "out of work", "laid off", "out of a job", "jobless"),
    },
)
CREDIT = Choice(
    "credit_score_range",
    {
        "excellent": ("great", "very good", "exceptional"),
        "good": ("pretty good",),
        "fair": ("average", "okay", "ok"),
        "poor": ("bad", "low", "not great"),
    },
)
_BUYING = tuple(
    f"{verb} {whose} {what}"
    for verb in ("buying", "buy", "purchasing", "purchase", "bought", "found", "closing on")
    for whose in ("a", "my", "our", "the", "my own", "our own", "my first", "our first", "a new", "a little")
    for what in ("home", "house", "condo", "place", "apartment", "townhouse", "property", "bungalow")
)
"""The ways a caller says the loan is for buying a home ("finally buying my own condo")."""
LOAN_PURPOSE = Choice(
    "loan_purpose",
    {"purchase": ("home purchase", *_BUYING, "first time buyer", "first time buyers", "first time home buyer",
                  "first time home buyers", "first time homebuyers", "first time homebuyer"),
     "refinance": ("refinancing", "refi", "refinance our home", "refinance my home", "refinance my house")},
)


_HUNDREDS = {"three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
"""The first word of a credit score said the short way ("six eighty", "seven oh five")."""


def _credit_type() -> SlotType:
    base = choice_type(CREDIT)

    def parse(text: str, _now: datetime) -> str | None:
        value = parse_number(text)
        head, _, rest = text.partition(" ")
        if head in _HUNDREDS and rest and isinstance(tail := parse_number(rest), int) and 0 <= tail <= 99:
            value = 100 * _HUNDREDS[head] + tail  # "seven twenty": 720
        if isinstance(value, int) and 300 <= value <= 850:
            return "excellent" if value >= 740 else "good" if value >= 670 else "fair" if value >= 580 else "poor"
        return CREDIT.parse(text)

    return SlotType(base.name, rf"(?:{base.pattern}|{NUMBER_RE})", parse, base.say, base.phrase, base.examples)


DOCUMENT = replace(
    free_text("document", ["pay stubs", "w2", "tax returns", "bank statements", "photo id"],
              lead=r"over|off|in|up|along|back|the|my|a|an|copy of|copies of|a copy of|(?:\w+ )?(?:months|years|weeks) of"
                   r"|(?:\w+ )?(?:most )?(?:recent|latest)|(?:last|past) (?:one|two|three|four|five|six|twelve|few|couple of)",
              tail=r"went|was|were|through|via|in|into|by|over|yesterday|today|this|last|just|already|earlier|"
                   r"should|are|is|came|got|arrived|now|at|to"  # "... my license [at the branch]", "[to the underwriter]"
                   r"|for (?:the|my|our|this|your) (?:\w+ )?(?:mortgage|loan|refinance|refi|application)"  # "[for the loan]"
                   r"|for (?:the )?(?:last|past)"  # "my bank statements [for the last three months]"
                   r"|(?:a|an|a little|one|two|three|a few|a couple of) (?:while|minutes?|hours?|days?|weeks?) ago"),
    word_class="<document>", lexicon=DOCUMENT_WORDS,
)

_PAPER = re.compile(
    r"\b(?:stubs?|paystubs?|payslips?|slips?|w ?2s?|w twos?|1099s?|statements?|returns?|licen[cs]e|id|passport|letter|"
    r"forms?|paperwork|papers|documents?|records?|appraisal|verification|proof|contract|certificate|report|deed|"
    r"policy|agreement|decree|bills?|receipts?|lease|checks?|transcripts?|copy|copies|scans?|pdfs?|card|quote|declarations?"
    r"|binder|disclosures?)\b")


def _named_document() -> SlotType:
    """A document in words that say it is one ("i have [my pay stubs]"): after "i have" any other thing is
    not a document ("i have [a meeting at nine]")."""

    def parse(text: str, now: datetime) -> str | None:
        value = DOCUMENT.parse(text, now)
        return value if value is not None and _PAPER.search(value) else None

    return replace(DOCUMENT, name="named_document", parse=parse, word_class="", lexicon=frozenset())


TYPES = (DOCUMENT, _named_document(), choice_type(EMPLOYMENT), _credit_type(), choice_type(LOAN_PURPOSE))
SYNONYMS = {"home loan": "mortgage", "loan application": "mortgage application"}
