"""A neural recogniser's written transcript in the words the grammar reads (`speech.spoken`)."""

from __future__ import annotations

import pytest

from speech.spoken import spoken_transcript


@pytest.mark.parametrize(("written", "said"), [
    # a code said digit by digit, which the recogniser wrote in groups: before, "773-019" became
    # "seven hundred seventy three-zero one nine" and the code read as 700730
    ("the code you texted me is 773-019, go ahead", "the code you texted me is seven seven three zero one nine go ahead"),
    ("code 48-15-26 please", "code four eight one five two six please"),
    # guards (passed before): a phone number, an ISO date, an address and a clock as before
    ("call 617-555-2234", "call six one seven five five five two two three four"),
    ("on 2026-11-23", "on november twenty third twenty twenty six"),
    ("Invite bob@acme.io at 3 p.m.", "invite bob at acme dot io at three pm"),
])
def test_a_written_transcript_in_spoken_words(written: str, said: str) -> None:
    assert spoken_transcript(written) == said
