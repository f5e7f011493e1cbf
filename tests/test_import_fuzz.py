"""The import validator, fuzzed: any input ends in success or a clear error, never a traceback, never a
partial write."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.records.importer import ImportFailure, import_files
from console.records.kinds import KINDS
from console.shared.model import BUILTIN_SERVICES
from console.store import Workspace

CID = "cust-1"
FIELD_VALUES = {
    "customerId": st.sampled_from([CID, "missing", ""]),
    "service": st.sampled_from(["azure", "office365", "x"]),
    "status": st.sampled_from(["active", "new", "open", "bogus"]),
    "createdDate": st.sampled_from(["2026-11-01T00:00:00Z", "2026-11-01", "yesterday"]),
    "creationDate": st.sampled_from(["2026-11-01T00:00:00+09:00", "2026-13-01T00:00:00Z"]),
}
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["", "true", "1.5", "JPY", "USD", "critical", "24x7", "phone", "Asia/Tokyo"]),
)
value = st.one_of(
    scalar, st.lists(st.text(max_size=10), max_size=3), st.dictionaries(st.text(max_size=5), scalar, max_size=2)
)


@st.composite
def record(draw: st.DrawFn, kind_name: str) -> dict[str, object]:
    fields = KINDS[kind_name].field_names
    chosen = draw(st.lists(st.sampled_from([*fields, "extra"]), unique=True, max_size=len(fields) + 1))
    return {name: draw(FIELD_VALUES.get(name, value)) for name in chosen}


@st.composite
def file_content(draw: st.DrawFn) -> tuple[str, bytes]:
    kind_name = draw(st.sampled_from(list(KINDS)))
    fmt = draw(st.sampled_from(["jsonl", "csv", "raw"]))
    if fmt == "raw":
        data = draw(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8"))))
        return f"{kind_name}.{draw(st.sampled_from(['jsonl', 'csv']))}", data
    records = draw(st.lists(record(kind_name), max_size=4))
    if fmt == "jsonl":
        lines = [json.dumps(r, ensure_ascii=draw(st.booleans())) for r in records]
        return f"{kind_name}.jsonl", "\n".join(lines).encode("utf-8")
    header = KINDS[kind_name].field_names[: draw(st.integers(1, len(KINDS[kind_name].fields)))]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for r in records:
        writer.writerow(["" if r.get(h) is None else str(r.get(h)) for h in header])
    return f"{kind_name}.csv", out.getvalue().encode("utf-8")


def _state(ws: Workspace) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for kind in KINDS.values():
        rows += [tuple(r.values()) for r in ws.records.iter_records(kind)]
    rows += [tuple(r) for r in ws.conn.execute("SELECT rowid, * FROM ticket_search")]
    rows += [tuple(r) for r in ws.conn.execute("SELECT * FROM audit_log")]
    return rows


_SEEDED: list[bytes] = []  # the seeded workspace's file, made once: migrating a new one per example was 0.4 s


def _seeded_workspace(path: Path) -> Workspace:
    """A new workspace at ``path`` holding the one customer the records may name."""
    if not _SEEDED:
        with tempfile.TemporaryDirectory() as tmp:
            ws = Workspace.open(Path(tmp) / "seed.db")
            with ws.transaction():
                ws.conn.execute(
                    "INSERT INTO customers (id, domain, companyName, relationshipToPartner) "
                    "VALUES (?, 'd.example', 'Seed', 'reseller')",
                    (CID,),
                )
            ws.close()  # (checkpointed: the whole workspace is in the one file)
            _SEEDED.append((Path(tmp) / "seed.db").read_bytes())
    path.write_bytes(_SEEDED[0])
    return Workspace.open(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(file_content(), min_size=1, max_size=3))
def test_any_input_imports_or_fails_cleanly(files: list[tuple[str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = _seeded_workspace(Path(tmp) / "w.db")
        paths = []
        for n, (name, data) in enumerate(files):
            path = Path(tmp) / f"{n}-{name}"
            path.write_bytes(data)
            paths.append(path)
        before = _state(ws)
        try:
            import_files(ws, paths, BUILTIN_SERVICES)
        except ImportFailure as exc:
            assert str(exc).startswith(str(Path(tmp)))
            assert _state(ws) == before
        ws.close()
