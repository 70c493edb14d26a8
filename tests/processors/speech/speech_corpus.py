"""Command templates, slot values and test sentences for the speech accuracy harness.

The real platform generates in-domain sentences from its intent templates; this
module is a stand-in with the same shape: ``TEMPLATES`` with ``{slot}``
placeholders, ``SLOTS`` with values, :func:`expand` to sample sentences.

* ``IN_TEMPLATE`` - test sentences every one of which the templates can
  produce (checked by :func:`matches_template`);
* ``OUT_OF_TEMPLATE`` - the same carrier phrases with free-text titles that no
  slot list contains: they test the general-English part of the LM.
"""

from __future__ import annotations

import itertools
import random
import re

SLOTS: dict[str, list[str]] = {
    "title": [
        "buy milk", "buy eggs", "buy bread", "pay the rent", "pay the electric bill", "call mom", "call the bank",
        "email the report", "send the invoice", "book flights", "clean the kitchen", "walk the dog",
        "feed the cat", "pick up the kids", "renew the car insurance", "finish the presentation",
        "review the contract", "schedule a dentist appointment", "order printer paper", "update the budget",
        "prepare the quarterly report", "fix the login bug", "write the release notes", "call the landlord",
        "return the library books", "buy a birthday present", "submit the expense report", "clean the garage",
        "do the laundry", "take out the trash",
    ],
    "priority": ["low", "medium", "high", "urgent"],
    "day": ["today", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
            "next monday", "next tuesday", "next wednesday", "next thursday", "next friday", "next week",
            "this weekend", "the day after tomorrow"],
    "date": ["march third", "april tenth", "may first", "june fifteenth", "july fourth", "the twenty first",
             "the fifth", "december twenty fifth", "january second", "october thirty first"],
    "time": ["seven pm", "seven thirty", "eight am", "nine o'clock", "noon", "ten thirty am", "six pm",
             "two pm", "three fifteen", "four forty five", "eleven am", "five thirty pm"],
    "count": ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve"],
    "digit": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "name": ["bob", "alice", "john", "maria", "david", "sarah", "michael", "emma", "james", "linda"],
    "domain": ["example", "gmail", "yahoo", "outlook", "convonet"],
    "tld": ["com", "org", "net"],
    "team": ["marketing", "sales", "engineering", "support", "design", "finance"],
    "department": ["support", "sales", "billing", "a person", "a human", "an agent", "someone",
                   "the front desk", "customer service"],
    "event": ["team meeting", "lunch with sarah", "dentist appointment", "project review", "doctor's appointment",
              "standup", "one on one with my manager", "yoga class"],
    "role": ["admin", "member", "viewer"],
    "symptom": ["a headache", "a fever", "a sore throat", "a cough", "back pain", "a rash", "stomach pain"],
    "duration": ["two days", "three days", "a week", "since yesterday", "a few hours"],
    "amount": ["three hundred thousand", "four hundred fifty thousand", "two hundred thousand", "fifty thousand",
               "one hundred twenty thousand", "sixty thousand"],
}

TEMPLATES: list[str] = [
    # todos
    "create a todo to {title}",
    "create a {priority} priority todo to {title}",
    "create a {priority} priority todo to {title} {day}",
    "add a todo to {title} {day}",
    "remind me to {title} {day} at {time}",
    "remind me to {title} {day}",
    "add {title} to my todo list",
    "mark {title} as done",
    "delete the todo {title}",
    "change the priority of {title} to {priority}",
    "what are my todos",
    "show my {priority} priority todos",
    "what do i have to do {day}",
    # calendar
    "what's on my calendar {day}",
    "what's on my calendar on {date}",
    "do i have any meetings {day}",
    "schedule a {event} {day} at {time}",
    "schedule a {event} on {date} at {time}",
    "move my {event} to {day} at {time}",
    "cancel my {event}",
    "add {event} to my calendar {day} at {time}",
    # reminders
    "set a reminder to {title} at {time}",
    "show my reminders",
    "delete my reminder to {title}",
    # teams
    "create a team called {team}",
    "who is on the {team} team",
    "add {name} at {domain} dot {tld} to the {team} team",
    "make {name} an {role} of the {team} team",
    "make {name} a {role} of the {team} team",
    "remove {name} from the {team} team",
    "assign {title} to {name} on the {team} team",
    # transfer
    "transfer me to {department}",
    "i want to talk to {department}",
    "can i speak to {department}",
    "connect me with {department}",
    # restaurant
    "book a table for {count} {day} at {time}",
    "book a table for {count} on {date} at {time}",
    "i'd like a reservation for {count} people {day} at {time}",
    "is there a table for {count} {day} at {time}",
    "cancel my reservation",
    "show my reservations",
    # healthcare
    "book an appointment {day} at {time}",
    "book an appointment on {date} at {time}",
    "cancel my appointment",
    "list my appointments",
    "i have had {symptom} for {duration}",
    "i have {symptom}",
    # mortgage
    "i want to apply for a mortgage",
    "i want to refinance my mortgage",
    "my annual income is {amount} dollars",
    "the property is worth {amount} dollars",
    "what documents do i need",
    "what is my application status",
    # identity, numbers, email
    "my pin is {digit} {digit} {digit} {digit}",
    "my number is {digit} {digit} {digit} {digit} {digit} {digit} {digit}",
    "my email is {name} at {domain} dot {tld}",
    "my name is {name}",
    "it's {name} at {domain} dot {tld}",
    "the code is {digit} {digit} {digit} {digit} {digit} {digit}",
    # conversation
    "yes", "no", "yes please", "no thanks", "that's right", "that's all", "thank you", "goodbye",
    "repeat that please", "what can you do", "help", "never mind", "start over", "sorry what did you say",
]

IN_TEMPLATE: list[str] = [
    "create a high priority todo to buy milk tomorrow",
    "create a todo to call the bank",
    "create a low priority todo to clean the garage next week",
    "add a todo to pay the rent friday",
    "remind me to call mom tomorrow at seven pm",
    "add walk the dog to my todo list",
    "mark buy eggs as done",
    "mark clean the kitchen as done",
    "delete the todo take out the trash",
    "change the priority of fix the login bug to urgent",
    "what are my todos",
    "show my high priority todos",
    "what do i have to do today",
    "what's on my calendar next friday",
    "what's on my calendar on march third",
    "do i have any meetings tomorrow",
    "schedule a team meeting monday at ten thirty am",
    "schedule a dentist appointment on april tenth at two pm",
    "move my project review to thursday at three fifteen",
    "cancel my yoga class",
    "add lunch with sarah to my calendar tomorrow at noon",
    "set a reminder to email the report at eight am",
    "show my reminders",
    "delete my reminder to feed the cat",
    "create a team called marketing",
    "who is on the engineering team",
    "add alice at example dot com to the sales team",
    "make david an admin of the design team",
    "remove james from the finance team",
    "assign update the budget to maria on the finance team",
    "transfer me to a person",
    "i want to talk to billing",
    "can i speak to a human",
    "connect me with customer service",
    "book a table for four tomorrow at seven pm",
    "book a table for two on july fourth at six pm",
    "i'd like a reservation for six people saturday at seven thirty",
    "is there a table for three today at eight am",
    "cancel my reservation",
    "book an appointment next tuesday at eleven am",
    "cancel my appointment",
    "list my appointments",
    "i have had a headache for two days",
    "i have a sore throat",
    "i want to apply for a mortgage",
    "my annual income is one hundred twenty thousand dollars",
    "the property is worth four hundred fifty thousand dollars",
    "what documents do i need",
    "what is my application status",
    "my pin is one two three four",
    "my number is five five five one two three four",
    "my email is bob at example dot com",
    "it's linda at gmail dot com",
    "the code is nine eight seven six five four",
    "my name is sarah",
    "yes please",
    "no thanks",
    "that's all",
    "repeat that please",
    "what can you do",
]

OUT_OF_TEMPLATE: list[str] = [
    "create a todo to call the plumber",
    "create a high priority todo to water the plants tomorrow",
    "add a todo to buy new shoes friday",
    "remind me to pick up the dry cleaning tomorrow at six pm",
    "add wash the car to my todo list",
    "create a todo to read the new book",
    "create a low priority todo to fix the kitchen door next week",
    "add a todo to visit grandma sunday",
    "remind me to check the mail today",
    "set a reminder to take my medicine at eight am",
    "mark paint the fence as done",
    "create a todo to write a letter to the school",
    "add a todo to cook dinner today",
    "create a medium priority todo to sell the old bike",
    "remind me to change the oil next monday",
    "delete the todo plan the summer trip",
    "create a todo to find a new apartment",
    "add learn spanish to my todo list",
    "create a todo to call the doctor",
    "remind me to send flowers to my mother friday",
]


def _slot_regex(name: str) -> str:
    vals = sorted(SLOTS[name], key=len, reverse=True)
    return "(?:" + "|".join(re.escape(v) for v in vals) + ")"


def _template_regex(t: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", t)
    rx = "".join(_slot_regex(p[1:-1]) if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(rx + r"\Z")


_TEMPLATE_RX = [_template_regex(t) for t in TEMPLATES]


def matches_template(sentence: str) -> bool:
    """True when some template with some slot values produces exactly ``sentence``."""
    return any(rx.match(sentence) for rx in _TEMPLATE_RX)


def expand(per_template: int = 300, seed: int = 0) -> list[str]:
    """Sample up to ``per_template`` distinct sentences from every template (all of them
    for small templates). Every slot value shows up in every template that has the slot."""
    rng = random.Random(seed)
    out: list[str] = []
    for t in TEMPLATES:
        names = re.findall(r"\{(\w+)\}", t)
        if not names:
            out.append(t)
            continue
        total = 1
        for n in names:
            total *= len(SLOTS[n])
        if total <= per_template:
            for combo in itertools.product(*(SLOTS[n] for n in names)):
                out.append(_fill(t, names, combo))
            continue
        seen: set[str] = set()
        # cycle each slot through all its values so coverage is complete
        for i in range(per_template):
            combo = tuple(SLOTS[n][(i + rng.randrange(len(SLOTS[n]))) % len(SLOTS[n])] if i >= len(SLOTS[n])
                          else SLOTS[n][i % len(SLOTS[n])] for n in names)
            s = _fill(t, names, combo)
            if s not in seen:
                seen.add(s)
                out.append(s)
    return out


def _fill(t: str, names: list[str], combo: tuple[str, ...]) -> str:
    s = t
    for n, v in zip(names, combo, strict=False):
        s = s.replace("{" + n + "}", v, 1)
    return s
