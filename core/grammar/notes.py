"""A note the caller adds to what they ask for: "add a todo to renew the car insurance and put a note that
the policy number is on the card". The request is read without it, and the note becomes the record's
description when the tool keeps one."""

from __future__ import annotations

import re

_NOTE = re.compile(
    r"^(?P<head>.+?) (?:and |also |plus )?(?:"
    r"(?:(?:please |can you |could you )?(?:put|add|leave|include|write|stick|attach|jot) "
    r"(?:in |down )?(?:a |the )?)?(?:with a |with the )?(?:note|notes|description|details)(?: (?:that|saying|to say|says|of|on it|in it))?(?: says| that says| saying)?"
    # "... and in the details put that ...", "... in the notes say ..."
    r"|(?:in|for|as) the (?:details|notes|note|description) (?:(?:just )?(?:put|say|write|add|mention)(?: down)?)?(?: that| saying)?"
    r")(?:,| that)? (?P<note>.+)$"
)
_NOT_A_NOTE = re.compile(r"^(?:to|for|about|me|i|you|down) ")
""""make a note to buy milk", "a note for the plumber" and "note down that ..." are the request itself."""
_MIN_HEAD_WORDS = 3


def split_note(text: str) -> tuple[str, str] | None:
    """(the request, the note) when a normalised sentence ends with a note, else None."""
    m = _NOTE.match(text)
    if m is None:
        return None
    head, note = m["head"].strip(), m["note"].strip()
    if len(head.split()) < _MIN_HEAD_WORDS or _NOT_A_NOTE.match(note) or not note:
        return None
    return head, note
