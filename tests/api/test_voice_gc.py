"""What the app loads for every call is left out of the garbage collector's full passes, once per process."""

from __future__ import annotations

import gc

from api import voice


def test_what_is_loaded_is_frozen_once() -> None:
    voice.freeze_what_is_loaded()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    later = [[i] for i in range(1000)]  # objects of calls, made after the start
    voice.freeze_what_is_loaded()
    assert gc.get_freeze_count() == frozen  # they stay within the collector's reach
    assert len(later) == 1000
