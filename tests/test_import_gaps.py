"""The import's validation gaps (issue 18): duplicates anywhere in an import, line separators inside JSON strings,
nesting, numbers JSON can carry but a record cannot, and a paid receivable imported back. Each refusal names
the file, the line and the field; nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from console.records.exporter import export_dir
from console.records.importer import ImportFailure, import_files
from console.shared.model import BUILTIN_SERVICES
from console.store import Workspace
from tests.engine_ws import Where
from tests.engine_ws import new_ws_fixture as new_ws_fixture

EXAMPLES = Path(__file__).parent.parent / "examples" / "import"


def run_import(ws: Workspace, *paths: Path) -> Any:
    return import_files(ws, list(paths), BUILTIN_SERVICES)


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def exported(demo_ws: Workspace, tmp_path: Path) -> dict[str, Path]:
    return export_dir(demo_ws, tmp_path / "out", "jsonl")


def test_a_ticket_twice_more_than_a_chunk_apart_is_refused_with_both_lines(
    new_ws: Callable[..., Where], exported: dict[str, Path], tmp_path: Path
) -> None:
    """The check was per chunk of 2,000 records: a repeat 2,500 lines later was taken for an update."""
    template = lines_of(exported["tickets"])[0]
    records = [{**template, "id": f"CSP-9{i:05d}"} for i in range(2500)]
    records.append({**records[0], "title": "the same id again"})
    fresh = Workspace.open(new_ws("fresh"))
    with pytest.raises(ImportFailure) as raised:
        run_import(fresh, exported["customers"], write_lines(tmp_path / "tickets.jsonl", records))
    assert str(raised.value).endswith(
        "tickets.jsonl:2501: field 'id': ticket CSP-900000 appears twice (first at line 1)"
    )
    assert fresh.records.counts()["tickets"] == 0 and fresh.records.counts()["customers"] == 0
    fresh.close()


@pytest.mark.parametrize("kind", ["customers", "subscriptions", "receivables", "receivable_lines"])
def test_any_record_twice_in_a_file_is_refused(
    new_ws: Callable[..., Where], exported: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    """Customers, subscriptions and receivables were upserted twice, the second silently winning (and counted
    as two new records)."""
    records = lines_of(exported[kind])
    records.append({**records[0]})
    files = [p for k, p in exported.items() if k != kind] + [write_lines(tmp_path / f"{kind}.jsonl", records)]
    fresh = Workspace.open(new_ws("fresh"))
    with pytest.raises(ImportFailure) as raised:
        run_import(fresh, *files)
    label = kind[:-1].replace("_", " ")
    assert f"{kind}.jsonl:{len(records)}: field 'id': {label} {records[0]['id']} appears twice (first at line 1)" in (
        str(raised.value)
    )
    assert fresh.records.counts()["customers"] == 0
    fresh.close()


def test_a_record_in_two_files_of_one_kind_names_the_other_file(
    new_ws: Callable[..., Where], exported: dict[str, Path], tmp_path: Path
) -> None:
    customers = lines_of(exported["customers"])
    first = write_lines(tmp_path / "a-customers.jsonl", customers[:5])
    second = write_lines(tmp_path / "b-customers.jsonl", customers[4:])
    fresh = Workspace.open(new_ws("fresh"))
    with pytest.raises(ImportFailure) as raised:
        run_import(fresh, first, second)
    assert str(raised.value) == (
        f"{second}:1: field 'id': customer {customers[4]['id']} appears twice (first at {first}:5)"
    )
    fresh.close()


def test_line_separators_inside_strings_import_and_round_trip(
    new_ws: Callable[..., Where], demo_ws: Workspace, tmp_path: Path
) -> None:
    """``str.splitlines`` cut a JSON Lines record at U+2028, U+2029 and U+0085, which JSON allows unescaped in
    strings (RFC 8259, section 7); the export writes them escaped in JSON Lines, as they are in CSV."""
    text = "一行目\u2028二行目\u0085三行目\u2029end"
    ticket = demo_ws.conn.execute("SELECT id FROM tickets ORDER BY seq LIMIT 1").fetchone()[0]
    with demo_ws.transaction():
        demo_ws.conn.execute("UPDATE tickets SET body = ? WHERE id = ?", (text, ticket))
    for fmt in ("jsonl", "csv"):
        files = export_dir(demo_ws, tmp_path / fmt, fmt)
        written = files["tickets"].read_text(encoding="utf-8")
        if fmt == "jsonl":  # the export escapes them (console.shared.safe_text.json_text); a file may hold them raw
            assert "\\u2028" in written and "\u2028" not in written
            raw = written.replace("\\u2028", "\u2028").replace("\\u2029", "\u2029").replace("\\u0085", "\u0085")
            files["tickets"].write_text(raw, encoding="utf-8")
        assert "\u2028" in files["tickets"].read_text(encoding="utf-8")
        fresh = Workspace.open(new_ws(f"{fmt}"))
        run_import(fresh, *files.values())
        assert fresh.tickets.ticket(ticket)["body"] == text, fmt
        fresh.close()


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        ("[" * 5000 + "]" * 5000, None, "JSON nested too deeply"),
        ("9" * 5000, None, "a number too long to read"),
        ("NaN", None, "NaN is not a number an import accepts"),
        ("-Infinity", None, "-Infinity is not a number an import accepts"),
    ],
    ids=["deep", "5000-digits", "NaN", "-Infinity"],
)
def test_json_a_record_cannot_hold_is_refused_with_its_line(
    new_ws: Callable[..., Where], exported: dict[str, Path], tmp_path: Path, value: str, field: str | None, words: str
) -> None:
    record = lines_of(exported["customers"])[0]
    good = json.dumps(record, ensure_ascii=False)
    bad = good[:-1] + f', "notes": {value}}}'
    path = tmp_path / "customers.jsonl"
    path.write_text(good + "\n" + bad + "\n", encoding="utf-8")
    fresh = Workspace.open(new_ws("fresh"))
    with pytest.raises(ImportFailure) as raised:
        run_import(fresh, path)
    assert str(raised.value).startswith(f"{path}:2: ") and words in str(raised.value)
    assert fresh.records.counts()["customers"] == 0
    fresh.close()


@pytest.mark.parametrize(
    ("kind", "field", "value", "words"),
    [
        ("tickets", "version", 10**20, "field 'version': too large"),
        ("subscriptions", "quantity", 2**63, "field 'quantity': too large"),
        ("receivables", "totalCharges", "1e400", "field 'totalCharges': amount too large"),
        ("receivables", "paidAmount", "Infinity", "field 'paidAmount': expected a finite amount"),
        ("receivables", "paidAmount", 1e400, "field 'paidAmount': expected a finite amount"),
        ("receivable_lines", "amount", "1e-12", "field 'amount': at most 10 decimals"),
    ],
)
def test_numbers_beyond_what_a_field_holds_are_refused(
    new_ws: Callable[..., Where],
    exported: dict[str, Path],
    tmp_path: Path,
    kind: str,
    field: str,
    value: object,
    words: str,
) -> None:
    """A 20-digit version crashed the import with ``OverflowError`` (SQLite's INTEGER is 64-bit); ``1e400`` as
    text was stored as an amount of 10^400."""
    records = lines_of(exported[kind])
    records[1][field] = value
    path = write_lines(tmp_path / f"{kind}.jsonl", records)
    if value == 1e400:  # the number as the file has it, not json.dumps' "Infinity" (which JSON does not allow)
        path.write_text(path.read_text(encoding="utf-8").replace("Infinity", "1e400"), encoding="utf-8")
    files = [p for k, p in exported.items() if k != kind] + [path]
    fresh = Workspace.open(new_ws("fresh"))
    with pytest.raises(ImportFailure) as raised:
        run_import(fresh, *files)
    assert f"{kind}.jsonl:2: {words}" in str(raised.value)
    assert fresh.records.counts()["customers"] == 0
    fresh.close()


def test_a_paid_receivable_imports_back(demo_ws: Workspace, exported: dict[str, Path]) -> None:
    """The paid-receivable path: a receivable marked paid in the file moves its customer's oldest due date in
    the collections rollup (an ``INSERT OR REPLACE`` trigger); importing it must not trip the rollup's key."""
    receivables = lines_of(exported["receivables"])
    customer = next(r["customerId"] for r in receivables if r["status"] == "open")
    for r in receivables:
        if r["customerId"] == customer:
            r["status"], r["paidAmount"] = "paid", r["totalCharges"]
    write_lines(exported["receivables"], receivables)
    run_import(demo_ws, *exported.values())
    due = demo_ws.conn.execute("SELECT oldestDue FROM health_customer_due WHERE customerId = ?", (customer,)).fetchone()
    assert due is None or due[0] is None  # nothing owed: no oldest due date in the collections rollup
    run_import(demo_ws, *exported.values())  # and again: unchanged, no crash
