"""The Alembic history builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import domains.registry  # noqa: F401  (every table registered)
from core.migrate import upgrade
from tests.conftest import PG_URL


def _differences(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _ours})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Only our tables: not Alembic's bookkeeping, nor the LangGraph checkpointer's (it creates its
    own in the same database)."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table is None or table in SQLModel.metadata.tables


def test_sqlite_migrations_match_the_models(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    assert _differences(f"sqlite:///{db}") == []


def test_postgres_migrations_match_the_models(postgres_migrated: str) -> None:
    assert PG_URL is not None
    assert _differences(postgres_migrated.replace("+asyncpg", "+psycopg")) == []
