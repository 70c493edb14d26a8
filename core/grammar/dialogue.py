"""Conversation moves that are not tool calls: yes, no, help, hello, thanks, goodbye."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Literal

from core.grammar.parser import Parser
from core.grammar.templates import Phrasing, Template, load_phrasings

Act = Literal["yes", "no", "cancel", "help", "greeting", "how_are_you", "thanks", "goodbye", "repeat"]


def _t(act: Act, *patterns: str) -> tuple[Template, ...]:
    return tuple(Template("dialogue", act, p) for p in patterns)


DIALOGUE_TEMPLATES: tuple[Template, ...] = (
    *_t("yes", "(yes|yeah|yep|yup|sure|correct|right|confirm|confirmed|affirmative|ok|okay|absolutely|definitely)",
        "(yes|yeah|sure) (please|do it|go ahead|that is right|that is correct|confirm|delete it|cancel it|sure)",
        "(do it|go ahead|go for it|that is right|that is correct|sounds good|please do|yes do it)"),
    *_t("no", "(no|nope|nah|negative|no way|do not|do not do that|please do not|no do not|wait|hold on|no thanks)",
        "no (do not|keep it|leave it|wait)", "(keep it|leave it|do not delete it|do not cancel it)"),
    *_t("cancel", "(cancel|never mind|nevermind|forget it|stop|cancel that|scratch that|forget about it)",
        "(no|oh) (never mind|forget it|cancel that)"),
    *_t("help", "help [me]", "what can you do [for me]", "what (can|should) i (say|ask [you]|do)",
        "how does this work", "what are my options", "what do you do", "what are you able to do",
        "what kind of things can you do", "what can you help [me] with"),
    *_t("greeting", "(hello|hi|hey|hiya|howdy) [there|assistant]", "good (morning|afternoon|evening)",
        "(hello|hi|hey) good (morning|afternoon|evening)",
        "[hello|hi|hey] (is anyone there|is anybody there|is someone there|anyone there|can you hear me|are you there)"),
    *_t("help", "(who|what) am i (talking|speaking) (to|with)", "who is this", "who are you", "what are you",
        "are you a (robot|bot|machine|person|human|real person)", "am i talking to a (robot|bot|machine|person|human|real person)"),
    *_t("how_are_you", "[hi|hello|hey] how (are you|are you doing|is it going|is your day going) [today]",
        "what is up", "how are things"),
    *_t("thanks", "(thanks|thank you|thank you so much|thank you very much|thanks a lot|much appreciated)",
        "(great|perfect|awesome|cool|ok|okay|wonderful|excellent) [thanks|thank you]",
        "that is (great|perfect|helpful|wonderful) [thanks|thank you]"),
    *_t("goodbye", "[ok|okay|great|thanks|thank you] (bye|goodbye|bye bye|see you|see you later|see ya|"
        "talk to you later|later|have a (good|great|nice) (day|night|evening|one)|good night)",
        "[no|ok|okay] [thanks|thank you] (that is all|that is it|i am done|i am all set|nothing else|"
        "that will be all|we are done|i am good) [thanks|thank you|for now|for today] [bye|goodbye]",
        "(hang up|end the call|end call|stop the call|disconnect)", "thank you goodbye", "thanks bye"),
    *_t("repeat", "(repeat that|say that again|what did you say|come again|pardon|sorry what|can you repeat that)"),
)


OFF_TOPIC: tuple[Phrasing, ...] = load_phrasings(Path(__file__).with_name("off_topic.jsonl"))
"""Things callers say that ask no tool for anything (weather, sports, a wrong number): the intent model
learns from them what a request that is no request sounds like."""


@cache
def _parser() -> Parser:
    return Parser(DIALOGUE_TEMPLATES)


def parse_dialogue(text: str) -> Act | None:
    """The conversation move `text` makes as a whole, or None when it asks for something else."""
    found = _parser().parse(text, datetime(2000, 1, 1))
    return found.tool if found else None  # type: ignore[return-value]
