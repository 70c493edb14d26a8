"""What guests of Hanok Table say to book a table, and what the assistant says back."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from core.grammar.templates import Ask, DomainGrammar, ToolWords, load_phrasings, phrasings
from domains.bookings import proof_answers
from domains.restaurant import slots

_t = partial(phrasings, "restaurant")

_AT = "(at|around|about|for)"
_PARTY = "{party:party_size}"
_TIME = "{time:meal_time}"
_SLOTS = {"party": "party_size", "when": "date", "time": "time", "who": "name", "requests": "special_requests"}
_MINE = {"reservation": "my reservation"}
_PEOPLE = "(a party of {party:integer}|{party:integer} (people|guests|persons))"
"""A new party size must say "people": "change my reservation to seven" is a time."""
_OLD = "(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
"""A party's old size, said to be replaced ("six instead of [four]")."""
_TABLE = "(a table|any tables|tables|room|availability|space|anything|a spot)"
_BOOK = "(book|reserve|get|grab|hold) [me|us] a table"
_RESERVE = "(make|book|get|need|have) a reservation"
_WANT = "(i would like|i want|i need|can i (get|have|make|book)|could i (get|have|make|book)|can we (get|have|book))"

_ORDERS = (
    f"for {_PARTY} {{when:date}} {_AT} {_TIME}", f"for {_PARTY} {_AT} {_TIME} {{when:date}}",
    f"{{when:date}} {_AT} {_TIME} for {_PARTY}", f"{{when:date}} for {_PARTY} {_AT} {_TIME}",
)
_HEADS_AVAIL = (f"(do you have|is there|are there|have you got|any) {_TABLE} [available|free|open]",
                "(can you fit|can you seat|can you take|do you have room for)", "check availability")

TEMPLATES = (
    *_t("check_availability", *(f"{h} {o}" for h in _HEADS_AVAIL[::2] for o in _ORDERS),
        *(f"{_HEADS_AVAIL[1]} {o.removeprefix('for ')}" for o in _ORDERS[:2]),
        f"is {_TIME} {{when:date}} available for {_PARTY}", slots=_SLOTS),
    *_t("check_availability", f"(do you have|is there|are there) {_TABLE} [available|free|open] {{when:date}}",
        "check availability [for] {when:date}", slots=_SLOTS),
    *_t("check_availability", "check availability", f"(do you have|is there) {_TABLE} [available|free|open]"),
    *_t("create_reservation", *(f"{h} {o}" for h in (_BOOK, _RESERVE, f"{_WANT} (a table|a reservation)",
                                                       "[a] (table|reservation)") for o in _ORDERS),
        slots=_SLOTS),
    *_t("create_reservation", *(f"{h} {o} under [the name] {{who:name}}" for h in (_BOOK, _RESERVE) for o in _ORDERS[:2]),
        *(f"{h} {o} (with|and [we would like|we need|please add]) {{requests}}" for h in (_BOOK, _RESERVE)
          for o in _ORDERS[:2]), slots=_SLOTS),
    *_t("create_reservation", f"{_BOOK}", f"{_RESERVE}", f"{_WANT} (a table|a reservation)",
        f"{_BOOK} for {_PARTY}", f"{_RESERVE} for {_PARTY}", f"{_WANT} (a table|a reservation) for {_PARTY}",
        f"{_BOOK} (for|on) {{when:date}}", f"{_RESERVE} (for|on) {{when:date}}", slots=_SLOTS),
    *_t("list_reservations", "(what|show|list) [are] (my|our) (reservations|bookings)", "do i have (a|any) (reservations|reservation)",
        "do i have (anything|a table) (booked|reserved) [at the restaurant|at hanok table]",
        "when is (my|our) reservation", "(show|list|check) [me] my (bookings|reservations|reservation)",
        "(what|which) reservations do (i|we) have [coming up|booked]"),
    *_t("change_reservation", "(change|move|push|switch) (my|our) reservation [(on|for) {ref:booking}] to {when:date} at {time:meal_time}",
        "(change|move|push|switch) (my|our) reservation [(on|for) {ref:booking}] to {time:meal_time}",
        "(change|move|push|switch) (my|our) reservation [(on|for) {ref:booking}] to {when:date}",
        "(change|make) (my|our) reservation [(on|for) {ref:booking}] (for|to) " + _PEOPLE,
        "(change|move|push) (my|our) {ref:booking} reservation to {when:date} at {time:meal_time}",
        "(change|move|push) (my|our) {ref:booking} reservation to {time:meal_time}",
        "(change|make) (my|our) {ref:booking} reservation (for|to) " + _PEOPLE,
        slots={**_SLOTS, "ref": "reservation"}, fixed=_MINE),
    *_t("change_reservation", "(change|move|push|switch) the (reservation|booking|table) under [the name] {ref:name} to {when:date} [at {time:meal_time}] [instead]",
        "(change|move|push|switch) the (reservation|booking|table) under [the name] {ref:name} to {time:meal_time} [instead]",
        slots={**_SLOTS, "ref": "reservation"}),
    *_t("change_reservation", "(change|move|update) (my|our) reservation", fixed=_MINE),
    *_t("cancel_reservation", "(cancel|call off|delete) my (reservation|table|booking) (on|for) {ref:booking}",
        "(cancel|call off|delete) my {ref:booking} (reservation|table|booking)", "(cancel|call off) (the|my) (booking|reservation) under {ref:name}",
        slots={"ref": "reservation"}),
    *_t("cancel_reservation", "(cancel|call off|delete) [my|our|the] (reservation|booking)", fixed=_MINE),
    # the code texted to a caller on a public line, said with the request
    *_t("cancel_reservation", "the code you (texted|sent) [me] is {texted_code:pin} [go ahead and] cancel [it]", fixed=_MINE),
    *_t("cancel_reservation", "cancel the (reservation|table) under {ref:name} the code you (texted|sent) [me] is {texted_code:pin}",
        slots={"ref": "reservation"}),
)

# Everyday phrasings (see the productivity grammar's note); the arguments' order varies, so these give the
# intent model its words and `extract` finds party, day and time wherever they stand.
_SEATS = "(seats|a seat|openings|an opening|room|space|a table|tables|a spot|spots|availability|anything)"
EVERYDAY = (
    *_t("check_availability", f"(are there|is there|do you have|do you guys have|have you got|got|any) {_SEATS} [available|free|open] [at hanok table]",
        "(can you|could you|can they|could they|would you be able to) (fit|seat|take|squeeze in) (us|a group|a party)",
        f"(would there be|will there be|is there) {_SEATS} for [us]", "is that (available|open|free)",
        "check if (you|they) (can|could) (fit|seat|take) (us|a party|a group)",
        # a question about room, not a request to book: "could six of us get in saturday at six"
        "(could|can|would) {party:party_size} [of us] (get in|come in|fit|be seated|get a table)",
        f"(could|can) {_PARTY} of us (get in|come in) {{when:date}} at {_TIME}",
        "(are you|are you guys|is hanok table|is the restaurant|are they) (booked up|fully booked|full|busy)",
        "(would|will) (a table|a booking|a reservation) for {party:party_size} be (possible|available|okay)",
        "what is (availability|the availability) like", "how (does|is) (availability|your availability) look",
        "(do you have|have you got|is there) (room|space|a table|availability) for {party:party_size}",
        slots=_SLOTS),
    *_t("create_reservation", "(reserve|book|get|grab|hold|save) [me|us] (a spot|a table|a booth|seats|spots|a reservation) [at hanok table]",
        "(i am|we are) calling to (book|reserve) a table", "(we would like|we want|i would like|can we get|we need) (a booth|a table|dinner|a reservation)",
        "(make|put in|book) a reservation [at hanok table]", "(a reservation|a table|dinner) for {party:party_size} [please]",
        "(under|the) name (is|of) {who:name}", slots=_SLOTS),
    # "book four for tuesday at seven thirty": the number right after the verb is the party
    *_t("create_reservation", *(f"(book|reserve) [me|us] {{party:party_size}} (for|on) {{when:date}} {_AT} {_TIME}{tail}"
                                for tail in ("", " and (we will need|we need|we would like|please add|add) {requests}")),
        slots=_SLOTS),
    # a meal, or coming in, with a party size: "put me down for dinner saturday at eight for four"
    *_t("create_reservation", *(f"{h} {o}" for h in (
        "(put|pencil) (me|us) (down|in) for (dinner|lunch|brunch|a table)",
        "(we would like|we want|we would love|i would like|we are hoping|we are planning|we plan) to come in",
        "(can|could) (you|we) (get|fit|put) us in for (dinner|lunch|brunch)") for o in _ORDERS[::3]), slots=_SLOTS),
    *_t("list_reservations", "(do i|do we) have (a table|a reservation|any reservations) (booked|reserved|coming up)",
        "(i|we) (forgot|do not remember|cannot remember|can not remember) (which|what) (night|evening|time) (i|we) (booked|reserved) [for]",
        "(read|read back|go over|tell me|remind me of) [all] (my|our) [upcoming] [dinner] (reservations|bookings|reservation|booking)",
        "did (my|our) (booking|reservation) go through",
        "(what|when) (are|is) (my|our) (reservations|reservation|booking|bookings)",
        "(did i|do we|did we) (book|reserve) (anything|a table)",
        "(what|which|any) (reservations|bookings|tables) (are|do i have|do we have|have i got) under (my|our) name"),
    *_t("change_reservation", "(move|push|change|switch|bump) (my|our|the) {ref:booking} (reservation|booking|table) (to|back to) [{when:date}] [at {time:meal_time}]",
        "(can|could) (we|i) (move|push|change|switch) (my|our|the) (reservation|booking|table) [to {when:date}] [at {time:meal_time}]",
        "(add|make it) {party:integer} (more|people) (to|on|for) (my|our|the) (reservation|booking|table)",
        # the new size said as who will come: "we're going to be six instead of four for the booking under garcia"
        f"((we will|we are going to|we are now) be {{party:integer}}|there will be {{party:integer}} of us) [now] "
        f"[(instead of|not) {_OLD}] [(for|on) (our|the) (reservation|booking)] [under {{ref:name}}]",
        # the code first, then what to do with "it"
        "my [confirmation] (code|number) is {ref:booking} [and] [(could|can) you] (switch|move|change|push) it to {when:date} [at {time:meal_time}]",
        "my [confirmation] (code|number) is {ref:booking} [and] [(could|can) you] (switch|move|change|push) it to {time:meal_time}",
        slots={**_SLOTS, "ref": "reservation"}),
    *_t("cancel_reservation", "(cancel|call off|drop|scrap) (my|our|the) {ref:booking} (reservation|booking|table|dinner)",
        "(cancel|call off) [the] (reservation|booking) [with] [confirmation] (code|number) {ref:booking}",
        "(cancel|call off) confirmation (code|number) {ref:booking}",
        "{ref:booking} (reservation|booking|table) needs to be (canceled|cancelled) [please]",
        "(we|i) (cannot|can not|will not) make (our reservation|the reservation|our table|dinner) [on] {ref:booking}",
        slots={"ref": "reservation"}),
)

_WHEN_ASKS = (Ask("date", "date", "What day would you like?"), Ask("time", "meal_time", "What time?"),
              Ask("party_size", "party_size", "How many people will be joining?"))
_REF = Ask("reservation", "booking", "Which reservation: what day is it for, or what name is it under?")
_FULL = ("{reason} We could seat you at {alternatives}.", "{reason}", "Sorry, that time is not available.")
WORDS = (
    ToolWords("check_availability", offer="check for a table", asks=_WHEN_ASKS,
              done=("Good news, we have a table for {party_size} on {date} at {time}.",), negative=_FULL),
    ToolWords("create_reservation", offer="book a table", asks=_WHEN_ASKS, details="special_requests",
              answers=(Ask("name", "name", "What name should I put the booking under?"),),
              done=("You're booked: a table for {party_size} on {when}, under {name}. "
                    "Your confirmation code is {confirmation_code}.",
                    "You're booked: a table for {party_size} on {date} at {time}."),
              negative=_FULL),
    ToolWords("list_reservations", offer="tell you your reservations", items=("reservation", "reservations"),
              label=("a table for {party_size} on {when}", "{when}"), empty="You have no reservations."),
    ToolWords("change_reservation", offer="change a reservation", asks=(_REF,), ref="reservation", lookup="list_reservations",
              answers=proof_answers("reservation"),
              done=("Done, your table for {party_size} is now on {when}.", "Done, I changed your reservation.")),
    ToolWords("cancel_reservation", offer="cancel a reservation", asks=(_REF,), confirm="Cancel {reservation}? Say yes to confirm.", ref="reservation",
              lookup="list_reservations", answers=proof_answers("reservation"),
              done=("Okay, your reservation for {when} is cancelled.", "Okay, your reservation is cancelled.")),
)

GRAMMAR = DomainGrammar(
    domain="restaurant",
    capabilities=("restaurant reservations",),
    examples=("book a table for two tomorrow at seven", "do you have a table for four on friday at eight"),
    templates=(*TEMPLATES, *EVERYDAY),
    tools=WORDS,
    phrasings=load_phrasings(Path(__file__).with_name("phrasings.jsonl")),
    slot_types=slots.TYPES,
)
