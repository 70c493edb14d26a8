"""Monitor records are typed: what is published is read back as the same record, and a stored
message that is not a record of a known shape is an error that is logged and skipped, not a KeyError
in the statistics."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from core import monitor
from core.store import create_store
from core.tools import TransferRequest

AT = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


async def test_records_round_trip_through_the_store() -> None:
    store = create_store(None)
    try:
        turn = monitor.TurnRecord(at=AT, call_sid="CA1", channel="phone", user_id="u1", turn=2, stt_ms=120.0,
                                  tool_calls=[monitor.ToolCallSummary(name="get_todos", ok=True, elapsed_ms=3.0)])
        transfer = monitor.TransferRecord(call_sid="CA1", channel="phone", user_id="u1", request=TransferRequest("sales"))
        await monitor.publish(store, turn)
        await monitor.publish(store, transfer)
        assert await monitor.recent(store) == [transfer, turn]
        assert monitor.key(turn) == "CA1:2"
        shown = monitor.as_json(turn)
        assert shown["at"] == AT.isoformat() and shown["key"] == "CA1:2" and shown["type"] == "turn"
        summary = monitor.summarize([transfer, turn])
        assert summary["counts"]["transfers"] == 1 and summary["counts"]["tool_calls"] == 1
    finally:
        await store.close()


async def test_a_stored_message_that_is_not_a_record_is_an_error_not_a_key_error(
        caplog: pytest.LogCaptureFixture) -> None:
    store = create_store(None)
    try:
        good = monitor.TurnRecord(at=AT, call_sid="CA1", turn=1, failed=True)
        await monitor.publish(store, good)
        for bad in ('{"type": "turn", "call_sid": "CA2"}', '{"type": "meeting"}', "not json", "[1, 2]"):
            await store.push(monitor.MONITOR_RECENT, bad, cap=monitor.MONITOR_RECENT_CAP)
        with caplog.at_level(logging.ERROR, logger="core.monitor"):
            assert await monitor.recent(store) == [good]
        assert sum("not a record" in r.getMessage() for r in caplog.records) == 4
        assert monitor.summarize(await monitor.recent(store))["error_rate"] == 1.0
    finally:
        await store.close()


def test_a_transfer_record_carries_the_typed_request() -> None:
    """The request is the transfer tool's own record: it serialises as before (the keys of
    TransferRequest) and is read back typed; a stored request with no department does not parse, and
    a sensitive call's shows its reason withheld."""
    from core.redaction import WITHHELD, redacted

    record = monitor.TransferRecord(call_sid="CA1", channel="phone", request=TransferRequest(
        "support", reason="my results", call_sid="CA1", channel="phone"))
    shown = monitor.as_json(record)["request"]
    assert shown == {"department": "support", "extension": "", "reason": "my results", "user_id": None,
                     "call_sid": "CA1", "thread_id": None, "channel": "phone"}
    assert monitor.parse(record.model_dump_json()) == record
    assert monitor.parse('{"type": "transfer", "request": {"reason": "x"}}') is None
    hidden = redacted(record)
    assert isinstance(hidden, monitor.TransferRecord)
    assert hidden.request.reason == WITHHELD and hidden.request.department == "support"
    assert record.request.reason == "my results"  # the original is left as it was
