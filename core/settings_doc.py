"""The README's settings table, generated from the Settings fields so it cannot drift."""

from __future__ import annotations

import json

from core.config import Settings


def _default(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, (list, dict)):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def settings_table() -> str:
    rows = ["| setting | default | what it does |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
        rows.append(f"| `{name.upper()}` | {_default(default)} | {field.description or ''} |")
    return "\n".join(rows)
