"""What callers say to reach a person, and what the assistant says while it connects them."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from core.grammar.templates import DomainGrammar, ToolWords, load_phrasings, phrasings
from domains.transfer import slots

_t = partial(phrasings, "transfer")

_PERSON = ("[a|an|the|your] [real|live|actual] (person|human|human being|agent|representative|operator|rep|manager"
           "|supervisor|someone in charge)")
_TALK = "(talk|speak|chat)"

TEMPLATES = (
    *_t("transfer_to_agent", "transfer me [to someone]", f"{_TALK} (to|with) {_PERSON}",
        f"{_TALK} (to|with) (someone|somebody) [real]", f"(get|give|find) me {_PERSON}",
        f"(i want|i need|can i (have|get)|let me (talk|speak) to) {_PERSON}",
        "(person|human|agent|representative|operator|real person) [please]",
        f"(connect|put) me (to|with|through to) {_PERSON}", f"transfer me to {_PERSON}"),
    *_t("transfer_to_agent", "transfer me to [the] {department} [department|team]",
        "(connect|put) me (to|with|through to) [the] {department} [department|team]",
        f"{_TALK} (to|with) (someone|somebody|a person) (in|from|at) [the] {{department}} [department|team]",
        f"{_TALK} (to|with) [the] {{department}} [department|team]",
        "(i want|i need) [to (talk|speak) to] [the] {department} [department|team]"),
    *_t("transfer_to_agent",
        "transfer me to [the] {department} [department|team] (because|about|regarding|for) {reason}",
        f"{_TALK} (to|with) [the] {{department}} [department|team] (because|about|regarding) {{reason}}",
        f"{_TALK} (to|with) {_PERSON} (because|about|regarding) {{reason}}"),
    *_t("get_available_departments", "(what|which) departments (are there|are available|can i talk to|do you have)",
        "(which|what) departments can you (transfer|connect) me to", "(list|show) [me] [the] departments",
        "who can i (talk|speak) to", "what are the departments"),
)

# Everyday phrasings (see the productivity grammar's note).
_HUMAN = "[a|an|the] [real|live|actual] (person|human|human being|somebody|someone|agent|representative|rep)"
EVERYDAY = (
    *_t("transfer_to_agent", f"(is there|can i (have|get|talk to|speak to)|i would (rather|prefer to) (talk to|deal with|speak to)) {_HUMAN}",
        f"(i would rather|i would prefer to|i want to|i need to) (deal|talk|speak) with {_HUMAN}",
        f"(get|put|give) me (through to|to|with) {_HUMAN}", f"{_HUMAN} (please|now)",
        f"(i would like|i want|i need|can i|could i) [to] be (transferred|connected|put through|passed) (to|over to|through to|with) {_HUMAN}",
        f"(i would like|i want|i need|can i get|can i have|could i get) {_HUMAN} to {{reason}}",
        f"(get|put) {_PERSON} on the (line|phone) [for me|please]",
        f"(is there|can i (have|get|talk to|speak to)) {_HUMAN} i (could|can) (talk|speak) to [about {{reason}}]",
        f"(is there|can i (have|get|talk to|speak to)) {_HUMAN} [i (could|can) (talk|speak) to] (about|because|regarding) {{reason}}"),
    *_t("transfer_to_agent", "(get|put|give|send) me (through to|to|over to) [someone (in|from)] [the] {department} [department|team|people]",
        "(get|put|give|send) me (through to|to|over to) [someone (in|from)] [the] {department} [department|team] (about|because|regarding) {reason}",
        "[can] (someone|somebody|a person) (in|from) [the] {department} [department|team] help [me]",
        "{department} [department] please", "i (need|want) [to talk to] {department} (about|because|regarding) {reason}",
        "{department} [department] please {reason}", "i need {department} {reason}",
        # "is there a person in billing i can talk to"
        f"(is there|do you have|can i get) {_HUMAN} (in|from|at) [the] {{department}} [department|team] [i (could|can) (talk|speak) to]",
        f"(is there|do you have|can i get) {_HUMAN} (in|from|at) [the] {{department}} [department|team] [i (could|can) (talk|speak) to] (about|because|regarding) {{reason}}",),
    # "i need a human at the restaurant about a private party", "i want to complain to a manager at the restaurant
    # about how we were treated"
    *_t("transfer_to_agent", f"(i need|i want|i would like|can i (have|get|talk to|speak to)) {_HUMAN} (in|from|at) [the] {{department}}"
        " [department|team] (about|because|regarding) {reason}",
        f"i (want|need|would like) to complain to {_PERSON} (in|from|at) [the] {{department}} (about|because|regarding) {{reason}}"),
    # "transfer me to somebody who can help me with a refund"
    *_t("transfer_to_agent", f"(transfer|connect|put|get) me (to|with|through to) {_HUMAN} (who|that) (can|could) help [me] (with|about) {{reason}}"),
    # money questions are billing's, said without the word ("i need help with my bill")
    *_t("transfer_to_agent", "(i have a (question|problem) (about|with)|there is a problem with|something is wrong with|"
        "i want to dispute|i do not understand) (my|a|the|this) (bill|invoice|statement|charge|refund)",
        "i (was|got) (charged|billed) (twice|two times|double|too much|wrong|by mistake) [for {reason}]",
        "there is a charge (on|to) my (card|account|bill|statement) [that] i do not recognize",
        "(where|what happened to) (is|with) my refund", fixed={"department": "billing"}),
    *_t("get_available_departments", "(what|which) (departments|options|teams) (do you [guys] have|are there|are available)",
        "(what|which) (kind of|sort of) departments (do you [guys] have|are there)",
        "(who|what|which departments) [all] can i (reach|get|be connected (to|with)|get connected (to|with)|talk to|speak to) [over there]",
        "(which|what) departments are (available|open) [to talk to]", "where can you (transfer|connect|send) me"),
)

WORDS = (
    ToolWords("transfer_to_agent", offer="connect you to a person", details="reason", done=("Connecting you to {department} now. Please hold.",
                                         "Connecting you to someone now. Please hold.")),
    ToolWords("get_available_departments", offer="tell you which departments you can reach", items=("department", "departments"),
              intro="I can connect you to", label=("{name}", "{department}"),
              empty="There are no departments available right now."),
)

GRAMMAR = DomainGrammar(
    domain="transfer",
    capabilities=(),
    examples=("transfer me to billing", "I want to talk to a person"),
    templates=(*TEMPLATES, *EVERYDAY),
    tools=WORDS,
    phrasings=load_phrasings(Path(__file__).with_name("phrasings.jsonl")),
    slot_types=slots.TYPES,
)
