"""Declared shapes (console/shapes.py): the config file, the collections policy and import records are checked
against msgspec structs, and every mistake reads FILE:LINE: field: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from console import collections as coll


def test_a_policy_whose_stage_is_not_a_table_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    """Found moving to declared shapes: ``stage = 5`` raised a TypeError out of load_policy."""
    path = tmp_path / "collections.toml"
    path.write_text("stage = 5\n", encoding="utf-8")
    with pytest.raises(coll.PolicyError, match=r"collections\.toml:1: stage: expected an array of tables"):
        coll.load_policy(path)


def test_a_bad_installment_names_its_line(tmp_path: Path) -> None:
    """The old check named the file only, and ``plan 1.amount`` for the first installment of plan 1."""
    path = tmp_path / "collections.toml"
    path.write_text(
        '[[stage]]\ndays = 7\nname = "a"\naction = "notice"\n\n[[plan]]\ncustomer = "x"\nagreed = "2026-11-01"\n'
        'installments = [{ due = "2026-11-30", amount = "100" }, { due = "2026-12-30", amount = "-5" }]\n',
        encoding="utf-8",
    )
    with pytest.raises(
        coll.PolicyError, match=r"collections\.toml:9: plan 1\.installments 2\.amount: expected an amount above 0"
    ):
        coll.load_policy(path)


def test_an_unknown_policy_table_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "collections.toml"
    path.write_text('[[stage]]\ndays = 7\nname = "a"\naction = "notice"\n\n[stages]\nx = 1\n', encoding="utf-8")
    with pytest.raises(coll.PolicyError, match=r"collections\.toml:6: stages: unknown key \(expected one of stage"):
        coll.load_policy(path)
