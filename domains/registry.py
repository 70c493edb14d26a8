"""Every domain, in one list: importing this module registers all tables with SQLModel's metadata."""

from __future__ import annotations

import core.models  # noqa: F401  (registers users and call_recordings)
from domains.productivity import models as productivity_models  # noqa: F401

DOMAINS: tuple[str, ...] = ("productivity",)
