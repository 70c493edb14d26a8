"""Checkpoint serialisation that remembers each conversation's messages (the SQLite and PostgreSQL savers').

LangGraph writes a thread's whole state at every step of a turn (about six writes a turn), and its savers encode
the whole message history each time (PostgreSQL: at each step that changes the messages); a turn starts by reading
it back, building every message anew. With a long call most of a turn's checkpoint CPU went there (README "The CPU
of an agent turn"). Here a message object already encoded for its thread is not encoded again, and a message is
decoded once, when first written: reading the thread back gives those decoded messages again for the bytes that
are the ones written. So a turn encodes and builds only its new messages. The bytes written are LangGraph's own,
byte for byte, and what is read back is what they decode to: a stock LangGraph saver reads our rows, and we read
its rows.

It relies on what LangGraph's asynchronous checkpoint writes rely on already: a message in the graph's state is
not changed in place once written (a new message may still get its id: its encoding is kept with the id it had).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

import ormsgpack
from langchain_core.messages import BaseMessage
from langgraph.checkpoint.serde.jsonplus import (
    EXT_PYDANTIC_V2,
    JsonPlusSerializer,
    _msgpack_default,  # LangGraph's own encoding of a pydantic object, so that the bytes are the same
    _msgpack_enc,
    _option,
)

MEMO_THREADS = 8
"""Conversations remembered per serializer (the least recently written or read is forgotten first): more than the
calls one checkpoint shard carries at once (a process holds a few dozen calls over 8 shards). Each costs about
what its messages take in memory (~2.4 KB a message: the object and its bytes), 0.4 MB for a call of 40 turns."""


class _ThreadMemo:
    """One conversation's messages as last written: each object's encoding (with the id it had when encoded),
    and what each encoding reads back as (decoded once, when first written). `lock` is held while it changes:
    the PostgreSQL saver encodes a checkpoint and a step's writes on worker threads, perhaps at once."""

    def __init__(self, decode: Callable[[int, bytes], Any]) -> None:
        self.decode = decode
        self.encoded: dict[int, tuple[BaseMessage, str, bytes]] = {}
        self.read_back: dict[bytes, Any] = {}
        self.lock = threading.Lock()

    def encode(self, obj: Any, used: set[bytes] | None = None) -> Any:
        """`ormsgpack`'s `default`: a message's encoding, remembered (and added to `used`); anything else as
        LangGraph encodes it."""
        if not isinstance(obj, BaseMessage) or obj.id is None:
            return _msgpack_default(obj)
        known = self.encoded.get(id(obj))
        if known is not None and known[0] is obj and known[1] == obj.id:
            data = known[2]
        else:
            cls = type(obj)
            data = _msgpack_enc((cls.__module__, cls.__name__, obj.model_dump(), "model_validate_json"))
            self.encoded[id(obj)] = (obj, obj.id, data)
            if data not in self.read_back:
                # what a reader gets is what these bytes decode to (tuples come back as lists), never `obj`
                copy = self.read_back[data] = self.decode(EXT_PYDANTIC_V2, data)
                if isinstance(copy, BaseMessage) and copy.id is not None:
                    self.encoded[id(copy)] = (copy, copy.id, data)
        if used is not None:
            used.add(data)
        return ormsgpack.Ext(EXT_PYDANTIC_V2, data)

    def keep_only(self, used: set[bytes]) -> None:
        """After a whole state: forget the messages it no longer holds, and the objects the graph made (the
        next turn reads the thread back as the decoded ones; until then a write encodes this turn's few again)."""
        self.read_back = {data: copy for data, copy in self.read_back.items() if data in used}
        self.encoded = {key: known for key, known in self.encoded.items() if self.read_back.get(known[2]) is known[0]}


@dataclass(frozen=True)
class _Scope:
    """What `for_thread` names for the code within: whose memo, and (a whole state) the messages written or read."""

    owner: RememberingSerializer
    memo: _ThreadMemo
    used: set[bytes] | None


_scope: ContextVar[_Scope | None] = ContextVar("checkpoint_memo", default=None)
"""A context variable, not a thread's: the PostgreSQL saver decodes on the event loop and encodes in
`asyncio.to_thread`, which carries the caller's context to the worker thread; the other calls on the same loop
each have their own."""


class RememberingSerializer(JsonPlusSerializer):
    """LangGraph's serializer, remembering the messages of the thread named by `for_thread` (and of
    MEMO_THREADS threads in all). Outside `for_thread` it is LangGraph's serializer unchanged."""

    def __init__(self, threads: int = MEMO_THREADS) -> None:
        super().__init__()
        self._threads = threads
        self._memos: OrderedDict[str, _ThreadMemo] = OrderedDict()
        self._lock = threading.Lock()

    def with_msgpack_allowlist(self, extra_allowlist: Iterable[tuple[str, ...] | type]) -> JsonPlusSerializer:
        """LangGraph's strict-msgpack clone (`LANGGRAPH_STRICT_MSGPACK`: the graph's types added to the allowed
        ones), with memos of its own: a message remembered here was decoded under this serializer's allowlist."""
        clone = super().with_msgpack_allowlist(extra_allowlist)
        if isinstance(clone, RememberingSerializer) and clone is not self:
            clone._memos = OrderedDict()
            clone._lock = threading.Lock()
        return clone

    def _memo(self, thread_id: str) -> _ThreadMemo:
        with self._lock:
            memo = self._memos.pop(thread_id, None) or _ThreadMemo(self._unpack_ext_hook)
            self._memos[thread_id] = memo
            while len(self._memos) > self._threads:
                self._memos.popitem(last=False)
        return memo

    @contextmanager
    def for_thread(self, thread_id: str, *, whole: bool = False) -> Iterator[None]:
        """Encode and decode for `thread_id` within (this thread, or this task and the threads it hands work to);
        `whole`: the thread's whole state is written (SQLite: every checkpoint) or read (PostgreSQL, which
        writes only the channels that changed: the latest checkpoint) within, so the messages it does not hold
        are forgotten after it."""
        scope = _Scope(self, self._memo(thread_id), set() if whole else None)
        token = _scope.set(scope)
        try:
            yield
            if scope.used:
                with scope.memo.lock:
                    scope.memo.keep_only(scope.used)
        finally:
            _scope.reset(token)

    def forget(self, thread_id: str) -> None:
        with self._lock:
            self._memos.pop(thread_id, None)

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        scope = _scope.get()
        if scope is None or scope.owner is not self or obj is None or isinstance(obj, bytes | bytearray):
            return super().dumps_typed(obj)
        try:
            with scope.memo.lock:
                return "msgpack", ormsgpack.packb(obj, default=partial(scope.memo.encode, used=scope.used),
                                                  option=_option)
        except ormsgpack.MsgpackEncodeError:
            return super().dumps_typed(obj)  # LangGraph's error, or its pickle fallback

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        scope = _scope.get()
        type_, payload = data
        if scope is None or scope.owner is not self or type_ != "msgpack":
            return super().loads_typed(data)
        memo, used, build = scope.memo, scope.used, self._unpack_ext_hook
        read_back = memo.read_back  # the memo replaces, never empties, it
        built: dict[bytes, BaseMessage] = {}

        def ext_hook(code: int, ext: bytes) -> Any:
            if code != EXT_PYDANTIC_V2:
                return build(code, ext)
            known = read_back.get(ext)
            if known is None:
                known = built.get(ext)
            if known is None:
                known = build(code, ext)
                if not isinstance(known, BaseMessage) or known.id is None:
                    return known
                built[ext] = known
            if used is not None:
                used.add(ext)
            return known

        found = ormsgpack.unpackb(payload, ext_hook=ext_hook, option=ormsgpack.OPT_NON_STR_KEYS)
        if built:  # read back as these again (after a restart, say); encoded again once, at the next write
            with memo.lock:
                for ext, message in built.items():
                    memo.read_back.setdefault(ext, message)
        return found
