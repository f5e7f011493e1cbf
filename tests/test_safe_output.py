"""Every command of the command line, fed hostile strings, prints no raw control character (issue 18).

The commands are read from the parser itself (:func:`console.cli.main.build_parser`): every subcommand and every
choice of an ``action`` argument is a case, so a command added later is covered without touching this file. Each
runs, as text and (where it has ``--json``) as JSON, on a copy of a demo workspace whose data holds ESC, CSI,
OSC 0 (window title) and OSC 52 (clipboard) sequences, C1 controls (U+009B CSI, U+009D OSC), bidi overrides and
isolates (U+202E, U+2066), NUL, BEL, backspace, CR and DEL in every field a command prints: agents' logins and
names, customers' names and contacts, tickets' titles, bodies and notes, the assignee, Microsoft's case number and
the author of its notes, the audit's agent, plugin findings, holidays, time entries, GDAP relationships and the
config. Arguments a command needs come from that workspace; one the table below does not know gets a hostile
string itself (an echo of it must be safe too). Microsoft is the sandbox on 127.0.0.1, serving the same data.

What counts as raw: any character of Unicode's categories Cc (but the line feed), Cf (bidi and other invisible
format characters), Zl and Zp, on standard output or standard error, read as bytes from the file descriptors.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from console.cli.main import build_parser, main
from console.records.exporter import export_dir
from console.sandbox import Sandbox
from console.sandbox.seed import state_from_workspace
from console.store import Workspace
from tests.conftest import SANDBOX_ENV
from tests.engine_ws import Where

#: The sequences a hostile value carries: ESC/CSI clear screen, OSC 0 window title, OSC 52 clipboard write,
#: C1 CSI and OSC (8-bit forms), right-to-left override, left-to-right isolate, NUL, BEL, backspace, CR, DEL.
PAYLOAD = (
    "\x1b[2J\x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07\x9b31m\x9d0;t\x9c\u202eexe.fdp\u2066\x00\x07\x08\r\x7f"
    "\u2028\x1b[?1049h"
)
ADMIN = "kenji.sato"  # the demo's Global admin: the commands act as this agent


#: The payload on PostgreSQL: the same, NUL included. Its text holds no NUL (PostgreSQL's manual, "Character
#: Types": "The character with the code zero (sometimes called NUL) cannot be stored."), so the store keeps it as
#: U+2400, the symbol every output shows for a NUL anyway (console.store.pg_sql.NUL_HELD).
PG_PAYLOAD = PAYLOAD


def hostile_with(payload: str) -> Callable[[str], str]:
    """The hostile value of a label: the label, ``payload``, then ``end``."""
    return lambda label: f"{label}{payload}end"


hostile = hostile_with(PAYLOAD)


@dataclass(frozen=True)
class Fixture:
    db: Where  # a SQLite file, or a PostgreSQL database's URL
    config: Path
    ticket: str
    customer: str
    invoice: str
    escalation: str
    export: Path
    payload: str  # what the workspace's hostile values carry (PG_PAYLOAD on PostgreSQL)
    out: Path  # where an export goes


# -- the hostile workspace ---------------------------------------------------------------------------------------
def _inject(ws: Workspace, payload: str = PAYLOAD) -> dict[str, str]:
    """Hostile strings in every field a command prints, written through the store where it has a method."""
    hostile = hostile_with(payload)
    conn, login = ws.conn, hostile("evil.agent")
    seq, ticket, customer = conn.execute(
        "SELECT seq, id, customerId FROM tickets WHERE isOpen = 1 AND customerId IN "
        "(SELECT customerId FROM receivables) ORDER BY seq LIMIT 1"
    ).fetchone()
    invoice = conn.execute("SELECT id FROM receivables WHERE customerId = ? LIMIT 1", (customer,)).fetchone()[0]
    ws.agents.add_agent(login, hostile("Evil Name"), hostile("evil@x.example"), ["helpdesk_agent"], by=login)
    now = ws.now()
    with ws.transaction():
        conn.execute(
            "UPDATE customers SET companyName = ?, domain = ?, billingFirstName = ?, billingEmail = ? WHERE id = ?",
            (hostile("Evil Corp"), hostile("evil.example"), hostile("Billing"), hostile("bill@x"), customer),
        )
        conn.execute(
            "UPDATE tickets SET title = ?, body = ?, contactName = ?, contactEmail = ?, contactPhone = ?, "
            "customerName = ?, assignee = ? WHERE customerId = ?",
            (
                hostile("Title"),
                hostile("Body line one\nline two"),
                hostile("Contact"),
                hostile("c@x"),
                hostile("+81"),
                hostile("Evil Corp"),
                login,
                customer,
            ),
        )
        ws.tickets.add_event(seq, "note", login, hostile("Note"), now)
        ws.audit(login, hostile("ticket.note"), "ticket", hostile(ticket), {"text": hostile("detail")})
        conn.execute("UPDATE holidays SET name = ? WHERE id = (SELECT min(id) FROM holidays)", (hostile("Holiday"),))
        conn.execute("UPDATE directory SET name = ? || id WHERE customerId = ?", (hostile("Directory"), customer))
        conn.execute("UPDATE partner_invoices SET id = id || ?, invoiceType = ?", ("-x", hostile("Type")))
        cursor = conn.execute(
            "INSERT INTO escalations (ticketSeq, vehicle, state, title, description, severity, createdBy, "
            "createdDate, lastModifiedDate, customerId, service, delivery, lastError) "
            "VALUES (?, 'commercial', 'awaiting_case_number', ?, ?, 'moderate', ?, ?, ?, ?, 'azure', 'handoff', ?)",
            (seq, hostile("Case title"), hostile("Case text"), login, now, now, customer, hostile("Error")),
        )
        escalation = int(cursor.lastrowid or 0)
        conn.execute(
            "INSERT INTO time_entries (ticketSeq, customerId, agent, minutes, note, workDate, createdDate) "
            "VALUES (?, ?, ?, 15, ?, ?, ?)",
            (seq, customer, login, hostile("Time note"), now[:10], now),
        )
        conn.execute(
            "INSERT INTO findings (ticketSeq, plugin, checkId, family, severity, title, explanation, "
            "suggestedAction, createdDate) VALUES (?, ?, ?, 'triage', 'warning', ?, ?, ?, ?)",
            (seq, hostile("plugin"), hostile("check"), hostile("Finding"), hostile("Why"), hostile("Do"), now),
        )
        conn.execute(
            "INSERT INTO gdap_relationships (id, customerTenantId, customerName, displayName, status, syncedDate) "
            "SELECT ?, tenantId, ?, ?, 'active', ? FROM customers WHERE id = ?",
            (hostile("gdap-id"), hostile("Gdap customer"), hostile("Gdap name"), now, customer),
        )
    ws.escalations.record_case_number(escalation, hostile("2611230040000"), login)
    ws.escalations.record_microsoft_update(
        escalation,
        microsoft_state=hostile("Researching"),
        closed=False,
        messages=[{"key": "m1", "author": hostile("MS Engineer"), "text": hostile("MS note"), "createdDate": now}],
        agent=login,
    )
    return {"ticket": ticket, "customer": customer, "invoice": invoice, "escalation": str(escalation)}


HOSTILE_CONFIG = """
[partner]
name = "Evil Partner \\u001b]0;pwned\\u0007 \\u009b31m \\u202e"
support_email = "support\\u001b[2J@x.example"
"""


@pytest.fixture(scope="module")
def hostile_files(engine: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    """The hostile workspace, built once: a SQLite file, or on PostgreSQL a database each run's is made from
    (the same strings but NUL: :data:`PG_PAYLOAD`)."""
    base = tmp_path_factory.mktemp("hostile")
    payload = PG_PAYLOAD if engine == "postgresql" else PAYLOAD
    db: Where = base / "hostile.db"
    if engine == "postgresql":
        db = str(request.getfixturevalue("pg_cluster").new_database(request.getfixturevalue("demo_template")))
    else:
        shutil.copy(request.getfixturevalue("demo_file"), db)
    ws = Workspace.open(db)
    ids = _inject(ws, payload)
    export = export_dir(ws, base / "export", "jsonl", ["tickets"])["tickets"]
    if ws.engine == "sqlite":
        ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ws.close()
    config = base / "config.toml"
    config.write_text(HOSTILE_CONFIG, encoding="utf-8")
    found = [ids[k] for k in ("ticket", "customer", "invoice", "escalation")]
    return Fixture(db, config, *found, export, payload, base / "out")


# -- the command tree --------------------------------------------------------------------------------------------
#: Commands that take over the terminal or run until stopped: what they print is not a command's output.
NOT_RUN = {
    ("run",): "opens the Textual console (its screens render through clean_line: tests/test_ui_*.py)",
    ("sandbox",): "serves the sandbox until Ctrl-C; its lines are the console's own (URLs and ports)",
    ("board",): "opens the Textual health board (--serve: serves it until Ctrl-C); its screen renders untrusted text "
    "through clean_line as the console's do",
}


@dataclass(frozen=True)
class Case:
    words: tuple[str, ...]  # the command's words (``ticket note``)
    parser: argparse.ArgumentParser
    action: argparse.Action | None  # the positional whose choice was taken (``action``)

    @property
    def id(self) -> str:
        return " ".join(self.words)


def _leaves(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> Iterator[Case]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if subs:
        for name, child in subs[0].choices.items():
            yield from _leaves(child, (*words, name))
        return
    positional = [a for a in parser._actions if not a.option_strings]
    first = positional[0] if positional else None
    if first is not None and first.choices:
        if first.nargs == "?":  # the command alone is a command too (``audit`` beside ``audit verify``)
            yield Case(words, parser, first)
        for choice in first.choices:
            yield Case((*words, str(choice)), parser, first)
    else:
        yield Case(words, parser, None)


CASES = [c for c in _leaves(build_parser(), ()) if c.words[:1] not in NOT_RUN]


def test_the_command_tree_is_read_whole() -> None:
    """The enumeration sees every command (a new one appears as a case of its own)."""
    names = {c.words[0] for c in CASES} | {w[0] for w in NOT_RUN}
    assert {"ticket", "agents", "audit", "escalations", "export", "import", "health", "config"} <= names
    assert {"ticket note", "escalations list", "agents list", "config show"} <= {c.id for c in CASES}


def _value(case: Case, action: argparse.Action, files: Fixture) -> list[str]:
    """A valid value for one argument of ``case`` from the hostile workspace; unknown ones get hostile text."""
    name, verb = action.dest, case.words[-1]
    evil_login, evil_case = hostile_with(files.payload)("evil.agent"), hostile_with(files.payload)("2611230040000")
    known: dict[str, str] = {
        "ticket": files.ticket,
        "customer": files.customer,
        "invoice": files.invoice,
        "amount": "1.00",
        "files": str(files.export),
        "login": evil_login if verb != "add" else hostile("new.agent"),
        "calendar": "jp",
        "date": "2026-12-31",
        "minutes": "15",
        "task": "diagnose",
        "fields": "serviceHours=mon-fri 09:00-18:00",
    }
    if name == "id":
        return [files.escalation if case.words[0] == "escalations" and verb != "services" else "azure"]
    if name == "value":
        by_verb = {"assign": evil_login, "status": "in_progress", "record": evil_case, "resolve": "fixed"}
        return [by_verb.get(verb, hostile("Value"))]
    if action.choices:
        return [str(next(iter(action.choices)))]
    return [known.get(name, hostile(name))]


def argv_for(case: Case, files: Fixture, as_json: bool) -> list[str]:
    """The command's words, its positionals (argparse reads them only before the options), then the options:
    ``--db``, ``--config``, every required one (and one of each required group), ``--json``."""
    positionals: list[str] = []
    options = ["--db", str(files.db), "--config", str(files.config)]
    required = [g._group_actions[0] for g in case.parser._mutually_exclusive_groups if g.required]
    for action in case.parser._actions:
        if action is case.action or isinstance(action, argparse._HelpAction):
            continue
        if not action.option_strings:
            if action.nargs in ("?", "*") and action.dest not in OPTIONAL_GIVEN:
                continue
            positionals += _value(case, action, files)
        elif action.required or action in required:
            takes = action.nargs != 0
            options += [action.option_strings[0], *(_value(case, action, files) if takes else [])]
    if case.words[0] == "export":
        options += ["--output", str(files.out)]
    return [*case.words, *positionals, *options, *(["--json"] if as_json else [])]


#: Optional positionals given a value all the same (the command needs them for most of its actions).
OPTIONAL_GIVEN = {"login", "id", "value", "customer", "calendar", "date", "minutes", "ticket", "task", "fields"}


def _has_json(case: Case) -> bool:
    return any("--json" in a.option_strings for a in case.parser._actions)


#: Every case as text, and as JSON where the command has ``--json``.
RUNS = [(c, False) for c in CASES] + [(c, True) for c in CASES if _has_json(c)]


def raw_controls(data: bytes) -> list[str]:
    """The raw control, format and separator characters in ``data`` (decoded as UTF-8), named."""
    text = data.decode("utf-8", errors="replace")
    found = {
        f"U+{ord(c):04X} {unicodedata.name(c, '')}".strip()
        for c in text
        if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")
    }
    return sorted(found)


@pytest.fixture
def workspace_copy(
    hostile_files: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Fixture]:
    """A fresh copy of the hostile workspace for one command, acting as the demo's Global admin, with the
    sandbox (serving the same hostile data) as Microsoft."""
    db: Where = tmp_path / "hostile.db"
    if isinstance(hostile_files.db, Path):
        shutil.copy(hostile_files.db, db)
    else:  # a new database made from the hostile one
        db = str(request.getfixturevalue("pg_cluster").new_database(hostile_files.db.rsplit("/", 1)[1]))
    ws = Workspace.open(db)
    state = state_from_workspace(ws)
    ws.close()
    monkeypatch.setenv("CSP_CONSOLE_AGENT", ADMIN)
    monkeypatch.setenv("COLUMNS", "120")
    # ``ssh-command`` runs what the SSH client asked for (without one it would open the console): a listing of
    # the hostile data, printed through the same writer.
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "agents list")
    with Sandbox(state) as box:
        for var in ("CSP_CONSOLE_PARTNER_CENTER_URL", "CSP_CONSOLE_AZURE_MANAGEMENT_URL", "CSP_CONSOLE_GRAPH_URL"):
            monkeypatch.setenv(var, box.url)
        for var, value in SANDBOX_ENV.items():
            monkeypatch.setenv(var, value)
        yield dataclasses.replace(hostile_files, db=db, out=tmp_path / "out")


def _run(argv: list[str], capfd: pytest.CaptureFixture[bytes]) -> tuple[int, bytes, bytes]:
    try:
        code = main(argv)
    except SystemExit as exc:  # --help
        code = int(exc.code or 0)
    captured = capfd.readouterr()
    return code, captured.out, captured.err


#: Commands for a PostgreSQL workspace alone, with what they say on a SQLite one (refused with the usage status,
#: 2). With ``--engine postgresql`` they run on the hostile workspace there.
POSTGRES_ONLY = {("workspace", "grants"): b"workspace grants applies to PostgreSQL workspaces only"}


@pytest.mark.parametrize(("case", "as_json"), RUNS, ids=[f"{c.id}-{'json' if j else 'text'}" for c, j in RUNS])
def test_every_command_prints_no_raw_control(
    case: Case,
    as_json: bool,
    workspace_copy: Fixture,
    capfdbinary: pytest.CaptureFixture[bytes],
    engine: str,
) -> None:
    argv = argv_for(case, workspace_copy, as_json)
    refusal = POSTGRES_ONLY.get(case.words)
    code, out, err = _run(argv, capfdbinary)
    if refusal and engine == "sqlite":
        assert code == 2 and refusal in err, (argv, code, out, err)
    else:
        assert code != 2, f"{argv}: the test's arguments are wrong: {err.decode(errors='replace')}"
    if refusal and engine == "postgresql":
        assert code == 0 and b"evil.agent" in out, (argv, code, out, err)  # (the hostile login is printed)
    assert raw_controls(out) == [], f"stdout of {argv}"
    assert raw_controls(err) == [], f"stderr of {argv}"
    assert b"Traceback" not in err


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_commands_help_prints_no_raw_control(
    case: Case, capfdbinary: pytest.CaptureFixture[bytes], hostile_files: Fixture
) -> None:
    code, out, err = _run([*case.words[:1], "--help"], capfdbinary)
    assert code == 0 and out
    assert raw_controls(out) == [] and raw_controls(err) == []


def test_the_hostile_data_is_really_printed(workspace_copy: Fixture, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    """The cases above see the payload: shown as symbols (ESC as ␛), its text kept (the data is not dropped)."""
    code, out, _ = _run(["escalations", "list", "--db", str(workspace_copy.db)], capfdbinary)
    text = out.decode()
    assert code == 0 and "2611230040000␛[2J␛]0;pwned␇" in text
    code, out, _ = _run(["escalations", "list", "--json", "--db", str(workspace_copy.db)], capfdbinary)
    assert (
        code == 0 and "\\u001b]52;c;cm0gLXJmIH4=\\u0007\\u009b31m\\u009d0;t\\u009c\\u202eexe.fdp\\u2066" in out.decode()
    )
    code, out, _ = _run(["ticket", "show", workspace_copy.ticket, "--db", str(workspace_copy.db)], capfdbinary)
    assert code == 0 and "MS Engineer␛" in out.decode() and "Note␛" in out.decode()


#: Where the console's code may write to a terminal itself, and why that is safe.
OWN_WRITERS = {
    "console/cli/output.py": "the command line's one writer",
    "console/plugins/host.py": "the plugin trace, through clean_line",
    "console/sla/upgrade.py": "the clock recompute's worker: a count, and its error through clean_block",
    "console/desk/audit_chain.py": "the audit walk's worker: ASCII JSON for the console, its error through clean_block",
}


def test_no_module_prints_around_the_writer() -> None:
    """A ``print(`` or a write to ``sys.stdout``/``sys.stderr`` outside the one writer would let a new line of
    output skip it (the sandbox and the screens are not the command line: Textual renders the screens)."""
    import re

    root = Path(__file__).parent.parent
    pattern = re.compile(r"(?<![\w.])print\(|sys\.(stdout|stderr)\.write\(|file=sys\.(stdout|stderr)")
    offenders = []
    for path in sorted((root / "console").rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name in OWN_WRITERS or name.startswith(("console/sandbox/", "console/screens/", "console/widgets/")):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line.split("#")[0]) and '"""' not in line and "``" not in line:
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == [], "write through console.cli.output (out, out_json) instead"
