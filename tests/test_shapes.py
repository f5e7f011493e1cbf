"""Declared shapes (console/shared/shapes.py): the config file, the collections policy and import records are checked
against msgspec structs, and every mistake reads FILE:LINE: field: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.billing import collections as coll
from console.store import Workspace


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


def test_a_timestamp_that_is_not_text_names_its_field_once() -> None:
    """The old converter wrapped its own error: ``field 'createdDate': expected an ISO 8601 timestamp, got True
    (field 'createdDate': expected text, got bool)``."""
    from console.records.kinds import TICKETS, RecordError, validate

    raw = {"customerId": "c", "channel": "phone", "createdDate": True, "title": "t"}
    with pytest.raises(RecordError) as info:
        validate(TICKETS, raw, ["azure"])
    assert str(info.value) == "field 'createdDate': expected an ISO 8601 timestamp, got True"


def test_a_null_unknown_field_is_still_unknown() -> None:
    from console.records.kinds import TICKETS, RecordError, validate

    raw = {"customerId": "c", "channel": "phone", "createdDate": "2026-11-01T00:00:00Z", "title": "t", "prio": None}
    with pytest.raises(RecordError, match="field 'prio': unknown field for tickets"):
        validate(TICKETS, raw, ["azure"])


def test_records_keep_their_stored_form() -> None:
    from console.records.kinds import SUBSCRIPTIONS, validate

    raw = {
        "id": "s1",
        "customerId": "c",
        "service": "azure",
        "offerId": "o",
        "offerName": "n",
        "quantity": "3",
        "status": "active",
        "creationDate": "2026-11-01T09:00:00+09:00",
        "autoRenewEnabled": "no",
        "refundableQuantity": {"totalQuantity": 2, "details": []},
        "suspensionReasons": "a; b",
    }
    record = validate(SUBSCRIPTIONS, raw, ["azure"])
    assert record["quantity"] == 3 and record["assignedSeats"] == 0
    assert record["autoRenewEnabled"] == 0 and record["isTrial"] == 0
    assert record["creationDate"] == "2026-11-01T00:00:00Z"
    assert record["refundableQuantity"] == 2 and record["refundableDetails"] is None
    assert record["suspensionReasons"] == '["a", "b"]'
    assert record["billingCycle"] == "monthly" and record["unitType"] == "Licenses"
    assert list(record) == SUBSCRIPTIONS.field_names


def test_a_table_value_error_names_its_key() -> None:
    """msgspec says only ``$.keys[...]`` for a table's value: the translator finds the key."""
    import msgspec

    from console.shared.shapes import ShapeError, convert

    class Shape(msgspec.Struct, forbid_unknown_fields=True):
        keys: dict[str, str] = {}

    with pytest.raises(ShapeError) as info:
        convert({"keys": {"a": "x", "b": 5}}, Shape)
    assert info.value.path == ("keys", "b")
    assert info.value.message == "expected str, got int"


def test_an_odd_digit_in_an_exported_version_is_an_import_error_not_a_traceback(
    empty_ws: Workspace, tmp_path: Path
) -> None:
    """Found moving the ticket stamps to a declared shape: ``"²".isdigit()`` is true and ``int("²")`` raised
    a ValueError out of the import."""
    from console.records.importer import ImportFailure, import_files
    from console.shared.model import BUILTIN_SERVICES

    examples = Path(__file__).parent.parent / "examples" / "import"
    import_files(empty_ws, [examples / "customers.jsonl"], BUILTIN_SERVICES)
    line = (examples / "tickets.jsonl").read_text(encoding="utf-8").splitlines()[0]
    bad = tmp_path / "tickets.jsonl"
    bad.write_text(line[:-1] + ', "version": "\u00b2"}\n', encoding="utf-8")
    with pytest.raises(ImportFailure, match=r"tickets\.jsonl:1: field 'version': expected a whole number from 1"):
        import_files(empty_ws, [bad], BUILTIN_SERVICES)


def test_untrusted_names_in_errors_are_shown_literally(tmp_path: Path) -> None:
    """A field or table name comes from the file: its escape sequence must not reach the terminal."""
    from console.records.kinds import TICKETS, RecordError, validate

    raw = {"customerId": "c", "channel": "phone", "createdDate": "2026-11-01T00:00:00Z", "title": "t", "\x1b[2J": 1}
    with pytest.raises(RecordError) as info:
        validate(TICKETS, raw, ["azure"])
    assert info.value.field == "\x1b[2J"
    assert str(info.value).startswith("field '\u241b[2J': unknown field for tickets")
    path = tmp_path / "collections.toml"
    path.write_text('[[stage]]\ndays = 7\nname = "a"\naction = "notice"\n["\\u001b[2J"]\nx = 1\n', encoding="utf-8")
    with pytest.raises(coll.PolicyError) as err:
        coll.load_policy(path)
    assert "\x1b" not in str(err.value) and "\u241b[2J: unknown key" in str(err.value)
