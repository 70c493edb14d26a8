"""Every domain, in one list. Importing this module registers all tables with SQLModel's
metadata; `all_tools()` is every tool the agent, MCP server and dashboards offer.

Adding a domain means adding its package and one line in each tuple below.
"""

from __future__ import annotations

import core.models  # noqa: F401  (registers users and call_recordings)
from core.tools import ToolSpec
from domains.healthcare import models as healthcare_models  # noqa: F401
from domains.mortgage import models as mortgage_models  # noqa: F401
from domains.productivity import models as productivity_models  # noqa: F401
from domains.restaurant import models as restaurant_models  # noqa: F401
from domains.transfer import models as transfer_models  # noqa: F401

DOMAINS: tuple[str, ...] = ("productivity", "transfer", "mortgage", "healthcare", "restaurant")


def all_tools() -> list[ToolSpec]:
    from domains.healthcare.tools import TOOLS as healthcare
    from domains.mortgage.tools import TOOLS as mortgage
    from domains.productivity.tools import TOOLS as productivity
    from domains.restaurant.tools import TOOLS as restaurant
    from domains.transfer.tools import TOOLS as transfer

    return [*productivity, *transfer, *mortgage, *healthcare, *restaurant]


def tools_by_name() -> dict[str, ToolSpec]:
    return {spec.name: spec for spec in all_tools()}
