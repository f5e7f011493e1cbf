"""The demo's config file and collections policy (``csp-console demo`` writes them)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from console.shared.private_files import private_dir, write_file

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
time_zone = "Asia/Tokyo"     # the desk's day (health board: resolved today, attainment today)
# theme = "textual-light"   # the colour theme (default "textual-dark"); NO_COLOR=1 draws without colour

# SLA clocks count in business hours: the customer's support offer (its hours, time zone and holiday
# calendar, its targets if it sets them), else these defaults. They stop while a ticket waits on the customer.
[sla]
service_hours = "mon-fri 09:00-18:00"
holiday_calendar = "jp"
pause_on_microsoft = true
warn_at = [0.75, 0.9]
low_balance_hours = 2
[sla.first_response_hours]
critical = 2
moderate = 4
minimal = 8
unknown = 9
[sla.resolution_hours]
critical = 8
moderate = 27
minimal = 45
unknown = 45

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
