"""More everyday phrasings of the productivity tools (see the grammar's note on everyday phrasings): a plan
said as going somewhere, a dated gathering called off. ("One more thing for my list: ..." is not among
them: "more" as a todo's template word would end a title at "order [more] potting soil".)"""

from __future__ import annotations

from functools import partial

from core.grammar.templates import ArgNames, phrasings

_t = partial(phrasings, "productivity")
_SPAN: dict[str, ArgNames] = {"when": ("start", "end"), "title": "title"}
_GATHERING = "(class|session|lunch|practice|party|game|rehearsal|recital|meetup|match|barbecue|drinks)"
"""What a dated plan of the caller's own is called ("the yoga class on saturday"): their calendar's."""

MORE = (
    # "i'm going to the hendersons barbecue on saturday at two, can you put that in"
    *_t("create_calendar_event", "(i am|we are) (going|heading) to [the] {title:event_title} {when:event_time} [(put|add) (that|it) in]",
        slots=_SPAN),
    # "cancel the yoga class on saturday", "scrap the team lunch on friday"
    *_t("delete_calendar_event", f"(cancel|scrap|delete|remove) [the|my|our] {{event:ref}} {_GATHERING} (on|this|next) "
        "(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|today|tonight|tomorrow) [from my calendar]",
        slots={"event": "event"}),
    # terse list entries: "oat milk on the list", "write down book the chimney sweep"
    *_t("create_todo", "{title:entry} on (the|my) (list|todo list|to do list|shopping list)",
        "(write|jot|note|put) down {title}", "(write|jot|note|put) down {title} it is {priority} [priority]"),
    *_t("create_todo", "(write|jot|note|put) down {title} it is not urgent [whenever]", fixed={"priority": "low"}),
    *_t("get_calendar_events", "(read|tell|give|show) me my (upcoming|next) (events|meetings|appointments)",
        "(what|which) are my (upcoming|next) (events|meetings)", "(read|show|list) [me] my events"),
    # "what's anneliese's email address"
    *_t("search_users", "what is {query} (email|email address|address|phone number)",
        "(do you have|can you find|look up|find) {query} (email|email address|contact info|contact details)"),
)
