"""SQL both engines read alike, for what SQLite lets be written loosely: a comparison used as a number (SQLite's
are 0 or 1; PostgreSQL's are booleans, which ``sum`` and integer columns refuse)."""

from __future__ import annotations


def flag(condition: str) -> str:
    """1 where ``condition`` holds, else 0."""
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def count_if(condition: str) -> str:
    """How many rows ``condition`` holds for (0 for none)."""
    return f"coalesce(sum({flag(condition)}), 0)"
