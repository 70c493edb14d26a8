"""How alike names sound (`bots.llm.sounds`): what the recogniser wrote against the records' names."""

from __future__ import annotations

import pytest

from bots.llm.lookup import SOUNDS_LIKE
from bots.llm.sounds import sound_key, sounds_alike


@pytest.mark.parametrize(("heard", "name"), [
    ("ockeffer", "Okafor"), ("akaffer", "Okafor"), ("hauling forth", "Hollingsworth"), ("cassilanos", "Castellanos"),
    ("garage sail", "garage sale"), ("bake sail crew", "bake sale crew"), ("diana", "Diane"),
])
def test_misheard_names_sound_like_the_name(heard: str, name: str) -> None:
    assert sounds_alike(heard, name) >= SOUNDS_LIKE


@pytest.mark.parametrize(("heard", "name"), [
    ("okafor", "Delgado"), ("hollingsworth", "Pemberton"), ("budget review", "book club"), ("milk", "bread"),
])
def test_other_names_do_not(heard: str, name: str) -> None:
    assert sounds_alike(heard, name) < SOUNDS_LIKE


def test_keys_fold_letters_that_sound_alike() -> None:
    assert sound_key("Philips") == sound_key("filips")
    assert sound_key("Jackson") == sound_key("jakson")
    assert sound_key("Okafor") == sound_key("akafor")
    assert sound_key("") == "" and sounds_alike("", "") == 0.0
