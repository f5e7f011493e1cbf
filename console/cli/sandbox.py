"""``csp-console sandbox``: a local Partner Center, Azure Support API and Microsoft Graph (and, with ``--tls``,
a device-code authority) seeded from the workspace's accounts, for trying the console without Microsoft."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from console.cli.desk import APPLIED, sandbox_seed
from console.cli.output import out
from console.microsoft.credentials import AUDIENCES
from console.settings.paths import WorkspaceAt, workspace_shown


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    box = sub.add_parser("sandbox", parents=[common], help="run a local Partner Center and Azure Support API")
    box.add_argument("--port", type=int, default=8765)
    box.add_argument("--host", default="127.0.0.1", choices=("127.0.0.1", "localhost"))
    box.add_argument(
        "--app-only-token",
        action="store_true",
        help="answer service requests 403, as Partner Center does to an app-only token",
    )
    box.add_argument(
        "--tls", action="store_true", help="serve https with a test CA (MSAL's device-code login needs it)"
    )


def cmd_sandbox(args: argparse.Namespace, db: WorkspaceAt) -> int:
    from console.microsoft.connect import URL_ENV
    from console.sandbox import Sandbox
    from console.sandbox.authority import SANDBOX_CLIENT_ID

    state = sandbox_seed(db)
    state.app_only_service_requests = args.app_only_token
    box = Sandbox(state, host=args.host, port=args.port, tls=args.tls)
    apis = "Partner Center, Azure Support API, Microsoft Graph (GDAP)"
    apis += " and a device-code authority" if args.tls else ""
    out(f"Sandbox {apis} on {box.url} ({len(state.customers)} customers).")
    out("In another terminal:\n")
    # The commands below act on the workspace this sandbox serves, wherever that terminal is (its cwd, its own
    # CSP_CONSOLE_DB): without it, `csp-console sync` would fill the default workspace instead.
    where = workspace_shown(db) if isinstance(db, str) else str(db.resolve())  # (a URL without its password)
    workspace = f"CSP_CONSOLE_DB={shlex.quote(where)}"
    config = getattr(args, "config", None)
    if config is not None:
        workspace += f" CSP_CONSOLE_CONFIG={shlex.quote(str(Path(config).resolve()))}"
    out(f"  export {workspace}")
    out(f"  export {URL_ENV['partner_center']}={box.url} {URL_ENV['azure']}={box.url} {URL_ENV['graph']}={box.url}")
    out(f"  export CSP_CONSOLE_PARTNER_TENANT_ID={state.partner_tenant}")
    if args.tls and box.ca_file is not None:
        token_file = Path.home() / ".config" / "csp-console-sandbox" / "refresh-token"
        out(f"  export CSP_CONSOLE_CA_BUNDLE={box.ca_file}")
        out(f"  export CSP_CONSOLE_AUTHORITY={box.url} CSP_CONSOLE_CLIENT_ID={SANDBOX_CLIENT_ID}")
        out(f"  export CSP_CONSOLE_REFRESH_TOKEN_FILE={token_file}")
        out("  csp-console microsoft login     # prints a code; approve it (below), then:")
        out("  csp-console gdap sync && csp-console sync\n")
        out(
            "Approve the device code (the sandbox's sign-in page):",
            f"curl --cacert {box.ca_file} -d user_code=<code> {box.url}/devicelogin",
        )
    else:
        command = shlex.quote(f"{sys.executable} -m console.sandbox.tokens {{resource}} {{tenant}}")
        for audience in AUDIENCES:
            out(f"  export CSP_CONSOLE_{audience.config_key.upper()}={command}")
        out("  csp-console sync            # then open the console and escalate a ticket (key m)")
        out("  (csp-console sandbox --tls serves a device-code authority for `csp-console microsoft login`)\n")
    curl = f"curl{' --cacert ' + str(box.ca_file) if box.ca_file else ''}"
    body = '-d \'{"case": "<case>", "text": "..."}\''
    out("Microsoft's answers:", curl, "-XPOST", f"{box.url}/_sandbox/respond", body)
    out("Ctrl-C stops it.")
    sys.stdout.flush()
    box.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        box.stop()
    return APPLIED
