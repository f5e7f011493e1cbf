"""The demo's config file and collections policy (``csp-console demo`` writes them), and its desk's rules
(written into the demo workspace: :data:`DEMO_POLICY`)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from console.shared.private_files import private_dir, write_file

#: The demo desk's rules (``csp-console policy show``): its day in Tokyo, and SLA clocks that count in Japanese
#: business hours for customers without a support offer. The others keep their defaults.
DEMO_POLICY: dict[str, Any] = {
    "time_zone": "Asia/Tokyo",
    "sla.service_hours": "mon-fri 09:00-18:00",
    "sla.holiday_calendar": "jp",
    "sla.warn_at": [0.75, 0.9],
}

DEMO_CONFIG = """\
# CSP Triage Console configuration (written by `csp-console demo`; edit freely).

[partner]
name = "Sakura Cloud Partners"
support_email = "support@sakura-cloud.example"
support_phone = "+81-3-5555-0100"
partner_id = "4812345"

# Paid Microsoft support contracts: Premier / Advanced Support for Partners.
[partner.contracts]
premier_support = false
advanced_support = true

# Gold or Silver competencies (Signature Cloud Support comes with them).
[[partner.competencies]]
name = "Cloud Platform"
level = "gold"
cloud = true

[[partner.competencies]]
name = "Cloud Productivity"
level = "silver"
cloud = true

[console]
# theme = "textual-light"   # the colour theme (default "textual-dark"); NO_COLOR=1 draws without colour

# The desk's rules (roles, claim time, the desk's time zone, the SLA defaults) are not in this file: they live
# in the workspace, the same for every agent. See them with `csp-console policy show`; a Global admin changes
# them with `csp-console policy set KEY VALUE`.

# The dunning stages, holds and payment plans (see collections.toml beside this file).
[collections]
policy = "collections.toml"

# Microsoft's APIs. Tokens are per API and per tenant (a customer's Azure cases need a token from the
# customer's tenant plus the partner's): from a command with {resource} and {tenant} filled in, e.g.
#   azure_token_command = "az account get-access-token --resource {resource} --tenant {tenant} -o json"
# Try everything locally first: `csp-console sandbox` serves the APIs on 127.0.0.1.
[microsoft]
contact_first_name = "Aiko"
contact_last_name = "Tanaka"
contact_email = "support@sakura-cloud.example"
contact_time_zone = "Tokyo Standard Time"
contact_country = "JPN"
support_language = "ja-JP"
"""


def demo_collections_policy(today: date) -> str:
    """The demo's collections policy: the dunning stages, a hold and a payment plan dated around ``today``."""

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    return f"""\
# Collections policy: dunning stages by days overdue, holds and payment plans (docs: README, Billing).
# A customer is named by its id or its domain.

[[stage]]
days = 1
name = "reminder"
action = "notice"

[[stage]]
days = 15
name = "second_reminder"
action = "notice"

[[stage]]
days = 30
name = "final_notice"
action = "notice"

[[stage]]
days = 45
name = "suspension"
action = "suspend"

[[hold]]
customer = "adatum-legal.com"
until = "{day(30)}"
reason = "Invoice disputed by the customer's finance team; review agreed with the account manager"

[[plan]]
customer = "tailspintoys.com"
agreed = "{day(-10)}"
installments = [{{ due = "{day(10)}", amount = "400.00" }}, {{ due = "{day(40)}", amount = "400.00" }}]
"""


def write_demo_config(path: Path, today: date | None = None) -> bool:
    """Write the demo partner profile to ``path`` (and its collections policy beside it) unless a config file
    is already there."""
    if path.exists():
        return False
    private_dir(path.parent)
    write_file(path, DEMO_CONFIG)
    policy = path.parent / "collections.toml"
    if not policy.exists():
        write_file(policy, demo_collections_policy(today or date.today()))
    return True
