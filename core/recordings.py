"""Where call recordings live: a small storage interface, and the disk under DATA_DIR that the product
uses by default. An object store can take the disk's place by implementing the same four methods;
keys are relative paths (`recordings/{CallSid}.wav`), the value `call_recordings.audio_path` keeps.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Protocol

from core.config import Settings

FOLDER = "recordings"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def recording_key(call_sid: str) -> str:
    """The key of a call's recording (the CallSid, kept to characters safe in a file name)."""
    return f"{FOLDER}/{_SAFE.sub('_', call_sid)[:80]}.wav"


class RecordingStore(Protocol):
    async def put(self, key: str, data: bytes) -> None:
        """Keep `data` under `key`, whole or not at all (raises OSError when it cannot)."""

    async def read(self, key: str) -> bytes | None:
        """The recording's bytes, or None when there is none."""

    def local_path(self, key: str) -> Path | None:
        """A file to serve it from, when the store is a local disk (None otherwise, or when missing)."""

    async def delete(self, key: str) -> bool:
        """Remove it; False when there was nothing to remove."""


class DiskRecordings:
    """Recordings as files under a root folder (DATA_DIR by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path | None:
        root = self.root.resolve()
        path = (root / key).resolve()
        return path if path.is_relative_to(root) and path != root else None

    async def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path is None:
            raise OSError(f"refused a recording key outside the store: {key!r}")
        await asyncio.to_thread(_write_whole, path, data)

    async def read(self, key: str) -> bytes | None:
        path = self.local_path(key)
        return await asyncio.to_thread(path.read_bytes) if path is not None else None

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path is not None and path.is_file() else None

    async def delete(self, key: str) -> bool:
        path = self.local_path(key)
        if path is None:
            return False
        await asyncio.to_thread(path.unlink, True)
        return True


def _write_whole(path: Path, data: bytes) -> None:
    """Write to a partial file, then rename: a full disk leaves nothing half-written behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def recording_store(settings: Settings) -> RecordingStore:
    """The install's recording store: the disk under DATA_DIR."""
    return DiskRecordings(settings.data_dir)
