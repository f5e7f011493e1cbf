"""Import and export: formats, upserts, round trips, and every kind of bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from console.records.exporter import export_dir
from console.records.importer import ImportFailure, import_files
from console.shared.model import BUILTIN_SERVICES
from console.store import Workspace
from tests.engine_ws import Where
from tests.engine_ws import new_ws_fixture as new_ws_fixture

EXAMPLES = Path(__file__).parent.parent / "examples" / "import"
CID = "0f8c2a4e-1111-4c1e-9a51-000000000001"


def snapshot(ws: Workspace, tmp_path: Path) -> dict[str, str]:
    """Every record of every kind, as exported text."""
    out = tmp_path / f"snap{len(list(tmp_path.iterdir()))}"
    files = export_dir(ws, out, "jsonl")
    return {kind: path.read_text(encoding="utf-8") for kind, path in files.items()}


def run_import(ws: Workspace, *paths: Path, kind: str | None = None) -> object:
    return import_files(ws, list(paths), BUILTIN_SERVICES, kind=kind)


def test_examples_import_and_reimport_updates(empty_ws: Workspace) -> None:
    files = sorted(EXAMPLES.iterdir())
    result = run_import(empty_ws, *files)
    assert result.inserted == {"customers": 2, "subscriptions": 3, "receivables": 2, "offers": 2, "tickets": 3}
    before = empty_ws.tickets.ticket("CSP-100001")
    assert before is not None and before["version"] == 1
    again = run_import(empty_ws, *[f for f in files if f.suffix == ".jsonl"])
    assert again.updated == {"customers": 2, "offers": 2, "tickets": 2}
    assert empty_ws.records.counts()["tickets"] == 3
    after = empty_ws.tickets.ticket("CSP-100001")
    assert after is not None and after["version"] == 2
    assert after["companyName"] == "北斗電機株式会社"
    audit = empty_ws.agents.audit_entries("workspace")
    # The first import, into an empty desk, is one transaction; the second commits a batch per kind here, each
    # audited with its records' lines (an import stopped half-way leaves no batch unaudited), then the whole.
    assert [a["action"] for a in audit] == ["import", "import.batch", "import.batch", "import.batch", "import"]
    batches = [json.loads(a["detail"]) for a in audit if a["action"] == "import.batch"]
    assert sorted(b["kind"] for b in batches) == ["customers", "offers", "tickets"]
    assert all(b["records"] == 2 and b["lines"].endswith(":1-2") for b in batches), batches


def test_upsert_changes_fields(empty_ws: Workspace, tmp_path: Path) -> None:
    run_import(empty_ws, EXAMPLES / "customers.jsonl")
    changed = tmp_path / "customers.csv"
    changed.write_text(f"id,domain,companyName\n{CID},hokuto.example,北斗電機（新社名）\n", encoding="utf-8")
    result = run_import(empty_ws, changed)
    assert result.updated == {"customers": 1}
    name = empty_ws.conn.execute("SELECT companyName FROM customers WHERE id = ?", (CID,)).fetchone()[0]
    assert name == "北斗電機（新社名）"


def test_renaming_a_customer_renames_it_on_its_tickets(empty_ws: Workspace, tmp_path: Path) -> None:
    from console.tickets.queue_query import QueueQuery

    run_import(empty_ws, EXAMPLES / "customers.jsonl", EXAMPLES / "tickets.jsonl")
    renamed = tmp_path / "customers.csv"
    renamed.write_text(f"id,domain,companyName\n{CID},hokuto.example,あいう電機\n", encoding="utf-8")
    run_import(empty_ws, renamed)
    rows = empty_ws.queue.queue_page(QueueQuery(sort="customer"), limit=10)
    assert [r.companyName for r in rows] == ["Alpine Winery LLC", "あいう電機"]
    assert empty_ws.tickets.ticket("CSP-100001")["customerName"] == "あいう電機"


def test_ticket_severity_accepts_integers_and_derives_columns(empty_ws: Workspace) -> None:
    run_import(empty_ws, EXAMPLES / "customers.jsonl", EXAMPLES / "tickets.jsonl")
    ticket = empty_ws.tickets.ticket("CSP-100002")
    assert ticket is not None
    assert ticket["severity"] == "critical" and ticket["severityRank"] == 1
    # Responded already: the next SLA clock is resolution.
    assert ticket["slaDueDate"] == "2026-11-23T18:00:00Z"
    assert ticket["isOpen"] == 1


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_round_trip_demo(new_ws: Callable[..., Where], demo_ws: Workspace, tmp_path: Path, fmt: str) -> None:
    first = export_dir(demo_ws, tmp_path / "one", fmt)
    fresh = Workspace.open(new_ws("fresh"))
    run_import(fresh, *first.values())
    second = export_dir(fresh, tmp_path / "two", fmt)
    for kind in first:
        assert first[kind].read_bytes() == second[kind].read_bytes(), kind
    assert fresh.records.counts() == demo_ws.records.counts()
    fresh.close()


def _customers(tmp_path: Path) -> Path:
    target = tmp_path / "customers.jsonl"
    shutil.copy(EXAMPLES / "customers.jsonl", target)
    return target


BAD_CASES = [
    # (file name, content, line, field, words in the message)
    (
        "subscriptions.jsonl",
        '{"id": "s", "customerId": "%s", "service": "azure", "offerId": "o", "offerName": "n", '
        '"quantity": "many", "status": "active", "creationDate": "2026-01-01T00:00:00Z"}',
        1,
        "quantity",
        "whole number",
    ),
    (
        "subscriptions.jsonl",
        '{"id": "s", "customerId": "%s", "service": "azure", "offerId": "o", "offerName": "n", '
        '"quantity": 3, "status": "paused", "creationDate": "2026-01-01T00:00:00Z"}',
        1,
        "status",
        "unknown value",
    ),
    (
        "subscriptions.jsonl",
        '{"id": "s", "customerId": "%s", "service": "azure", "offerId": "o", "offerName": "n", '
        '"quantity": 3, "status": "active"}',
        1,
        "creationDate",
        "required",
    ),
    (
        "subscriptions.jsonl",
        '{"id": "s", "customerId": "%s", "service": "intune", "offerId": "o", "offerName": "n", '
        '"quantity": 3, "status": "active", "creationDate": "2026-01-01T00:00:00Z"}',
        1,
        "service",
        "unknown service",
    ),
    (
        "subscriptions.jsonl",
        '{"id": "s", "customerId": "%s", "service": "azure", "offerId": "o", "offerName": "n", '
        '"quantity": 3, "status": "active", "creationDate": "2026-01-01T00:00:00"}',
        1,
        "creationDate",
        "time zone",
    ),
    (
        "receivables.csv",
        "id,customerId,invoiceDate,dueDate,totalCharges,currencyCode\ni1,%s,2026-01-01,2026-02-01,100.5,JPY\n",
        2,
        "totalCharges",
        "no minor unit",
    ),
    (
        "receivables.csv",
        "id,customerId,invoiceDate,dueDate,totalCharges,currencyCode\ni1,%s,2026-01-01,2026-02-30,100,USD\n",
        2,
        "dueDate",
        "YYYY-MM-DD",
    ),
    (
        "receivables.csv",
        "id,customerId,invoiceDate,dueDate,totalCharges,currencyCode\ni1,nobody,2026-01-01,2026-02-01,100,USD\n",
        2,
        "customerId",
        "unknown customer",
    ),
    ("receivables.csv", "id,customerId,invoiceDate,dueDate,totalCharges,currency\n", 1, "currency", "unknown column"),
    (
        "receivables.csv",
        "id,customerId,invoiceDate,dueDate,totalCharges,currencyCode\ni1,%s,2026-01-01,2026-02-01,100\n",
        2,
        None,
        "expected 6 cells",
    ),
    (
        "receivables.csv",
        'id,customerId,invoiceDate,dueDate,totalCharges,currencyCode\n"i1,%s,x\n',
        2,
        None,
        "malformed CSV",
    ),
    (
        "offers.jsonl",
        '{"id": "o", "customerId": "%s", "name": "n", "supportTypes": ["billing", "phone"], '
        '"timeZone": "Asia/Tokyo", "serviceHours": "24x7", "contactMethods": ["email"], "pricingModel": "included"}',
        1,
        "supportTypes",
        "unknown value 'phone'",
    ),
    (
        "offers.jsonl",
        '{"id": "o", "customerId": "%s", "name": "n", "supportTypes": ["billing"], '
        '"timeZone": "Tokyo", "serviceHours": "24x7", "contactMethods": ["email"], "pricingModel": "included"}',
        1,
        "timeZone",
        "unknown time zone",
    ),
    (
        "offers.jsonl",
        '{"id": "o", "customerId": "%s", "name": "n", "supportTypes": ["billing"], '
        '"timeZone": "UTC", "serviceHours": "fri-mon 09:00-17:00", "contactMethods": ["email"], '
        '"pricingModel": "included"}',
        1,
        "serviceHours",
        "backwards",
    ),
    (
        "tickets.jsonl",
        '\n\n{"customerId": "%s", "channel": "fax", "createdDate": "2026-01-01T00:00:00Z", "title": "t"}',
        3,
        "channel",
        "unknown value",
    ),
    (
        "tickets.jsonl",
        '{"customerId": "%s", "channel": "phone", "createdDate": "2026-01-01T00:00:00Z", "title": ""}',
        1,
        "title",
        "empty",
    ),
    (
        "tickets.jsonl",
        '{"id": "ZD-1", "customerId": "%s", "channel": "phone", "createdDate": "2026-01-01T00:00:00Z", "title": "t"}',
        1,
        "id",
        "CSP-000123",
    ),
    (
        "tickets.jsonl",
        '{"customerId": "%s", "channel": "phone", "createdDate": "2026-01-01T00:00:00Z", "title": "t", "priority": 1}',
        1,
        "priority",
        "unknown field",
    ),
    (
        "tickets.jsonl",
        '{"customerId": "%s", "channel": "phone", "createdDate": "2026-01-01T00:00:00Z", "title": [1]}',
        1,
        "title",
        "expected text",
    ),
    ("tickets.jsonl", '{"customerId": "%s", "channel": "phone",, "title": "t"}', 1, None, "malformed JSON"),
    ("tickets.jsonl", '["not", "an", "object"]', 1, "(record)", "JSON object"),
]


@pytest.mark.parametrize(("name", "content", "line", "field", "words"), BAD_CASES)
def test_bad_record_names_file_line_field_and_writes_nothing(
    demo_ws: Workspace, tmp_path: Path, name: str, content: str, line: int, field: str | None, words: str
) -> None:
    good = _customers(tmp_path)
    bad = tmp_path / name
    bad.write_text(content.replace("%s", CID) + "\n", encoding="utf-8")
    before = snapshot(demo_ws, tmp_path)
    with pytest.raises(ImportFailure) as info:
        run_import(demo_ws, good, bad)
    failure = info.value
    assert failure.path == str(bad)
    assert failure.line == line
    assert failure.field == field
    assert words in str(failure)
    assert str(failure).startswith(f"{bad}:{line}: ")
    # The good customers file came first in the same import: it was rolled back too.
    assert snapshot(demo_ws, tmp_path) == before


def test_wrong_encoding_names_the_line(empty_ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "customers.csv"
    bad.write_bytes(
        "id,domain,companyName\nc1,a.example,Caf\u00e9\n".encode("utf-8") + "c2,b.example,Caf\u00e9\n".encode("latin-1")
    )
    with pytest.raises(ImportFailure, match=r"customers.csv:3: not UTF-8"):
        run_import(empty_ws, bad)
    assert empty_ws.records.counts()["customers"] == 0


def test_unknown_file_name_and_type(empty_ws: Workspace, tmp_path: Path) -> None:
    mystery = tmp_path / "data.jsonl"
    mystery.write_text("{}\n")
    with pytest.raises(ImportFailure, match="cannot tell what the file holds"):
        run_import(empty_ws, mystery)
    run_import(empty_ws, _customers(tmp_path))
    (tmp_path / "x.jsonl").write_text((EXAMPLES / "tickets.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    assert run_import(empty_ws, tmp_path / "x.jsonl", kind="tickets").inserted == {"tickets": 2}
    xlsx = tmp_path / "customers.xlsx"
    xlsx.write_bytes(b"PK")
    with pytest.raises(ImportFailure, match="unknown file type"):
        run_import(empty_ws, xlsx)
    with pytest.raises(ImportFailure, match="no such file"):
        run_import(empty_ws, tmp_path / "customers-missing.csv")


def test_second_offer_for_a_customer_is_refused(empty_ws: Workspace, tmp_path: Path) -> None:
    run_import(empty_ws, EXAMPLES / "customers.jsonl", EXAMPLES / "offers.jsonl")
    other = tmp_path / "offers.jsonl"
    record = json.loads((EXAMPLES / "offers.jsonl").read_text(encoding="utf-8").splitlines()[0])
    record["id"] = "OFFER-OTHER"
    other.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ImportFailure, match="already has support offer 'OFFER-HOKUTO'"):
        run_import(empty_ws, other)


def test_duplicate_ticket_id_in_one_file(empty_ws: Workspace, tmp_path: Path) -> None:
    run_import(empty_ws, EXAMPLES / "customers.jsonl")
    line = (EXAMPLES / "tickets.jsonl").read_text(encoding="utf-8").splitlines()[0]
    dup = tmp_path / "tickets.jsonl"
    dup.write_text(line + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ImportFailure, match=r"tickets\.jsonl:2: field 'id': ticket CSP-100001 appears twice"):
        run_import(empty_ws, dup)


def test_every_field_is_documented() -> None:
    from console.records.kinds import KINDS

    doc = (Path(__file__).parent.parent / "docs" / "import-format.md").read_text(encoding="utf-8")
    for name, kind in KINDS.items():
        assert f"## {name}" in doc
        section = doc.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
        for field in kind.field_names:
            assert f"| `{field}` |" in section, (name, field)


def test_an_export_imports_back_into_its_own_workspace(demo_ws: Workspace, tmp_path: Path) -> None:
    """Re-importing receivables fired the collections rollup's ``INSERT OR REPLACE`` trigger inside the import's
    upsert, whose conflict policy SQLite applies to the trigger's statements too: a traceback
    (``UNIQUE constraint failed: health_customer_due.customerId``), found by a new user trying the README's
    "an export imports back unchanged"."""
    files = export_dir(demo_ws, tmp_path / "out", "jsonl")
    receivables = [json.loads(line) for line in files["receivables"].read_text(encoding="utf-8").splitlines()]
    unpaid = next(r for r in receivables if r["status"] == "open")
    unpaid["dueDate"] = unpaid["invoiceDate"]  # a real change, so the upsert updates a row the trigger watches
    files["receivables"].write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in receivables), encoding="utf-8"
    )
    before = demo_ws.records.counts()
    result = run_import(demo_ws, *files.values())
    assert result.inserted == {} or not any(result.inserted.values())
    assert result.updated.get("receivables", 0) >= 1
    assert demo_ws.records.counts() == before
    oldest = demo_ws.conn.execute(
        "SELECT oldestDue FROM health_customer_due WHERE customerId = ?", (unpaid["customerId"],)
    ).fetchone()[0]
    unpaid_dues = [
        r["dueDate"]
        for r in receivables
        if r["customerId"] == unpaid["customerId"] and r["status"] in ("open", "partial", "disputed")
    ]
    assert oldest == min(unpaid_dues)
