"""Ranking the Azure Support API's catalogue by a ticket's words (English and Japanese), with the sandbox's list
(a realistic subset of Microsoft's)."""

from __future__ import annotations

import pytest

from console.escalation import support_match as match
from console.escalation.azure_case import preselect
from console.escalation.drafts import Draft
from console.plugin_api import DELIVERY_AZURE_API
from console.sandbox import catalog
from console.shared.model import Vehicle

SERVICES = [{"id": s["id"], "displayName": s["properties"]["displayName"]} for s in catalog.services()]
PROBLEMS = {
    name: [{"id": p["id"], "displayName": p["properties"]["displayName"]} for p in problems]
    for name, problems in catalog.problem_classifications().items()
}


def best(title: str, body: str = "", hint: str = "") -> tuple[str, str | None] | None:
    """The (service, problem) names preselected for a draft of the ticket."""
    draft = Draft("CSP-1", 1, "c", Vehicle.ADVANCED, "azure", "t", "d", "critical", "", DELIVERY_AZURE_API)
    draft.ticket_title, draft.ticket_body, draft.service_hint = title, body, hint
    preselect(draft, SERVICES, lambda service_id: PROBLEMS[service_id.rsplit("/", 1)[-1]])
    if draft.service_id is None:
        return None
    names = {p["id"]: p["displayName"] for ps in PROBLEMS.values() for p in ps}
    service = next(s["displayName"] for s in SERVICES if s["id"] == draft.service_id)
    return service, names.get(draft.problem_classification_id or "")


@pytest.mark.parametrize(
    ("title", "body", "hint", "expected"),
    [
        ("VM does not start after resize", "", "", None),  # Windows or Linux: a tie, the agent chooses
        (
            "VM does not start after resize",
            "",
            "Virtual Machine running Windows",
            ("Virtual Machine running Windows", "VM start, stop or restart issue"),
        ),
        ("Linux VM stuck at boot", "", "", ("Virtual Machine running Linux", "VM boot failure")),
        (
            "東日本リージョンの仮想マシンに接続できない",
            "本番環境の仮想マシンに02:10から接続できません。",
            "Virtual Machine running Windows",
            ("Virtual Machine running Windows", "Cannot connect to my VM"),
        ),
        ("Azure SQL database connection timeouts", "", "SQL Database", ("SQL Database", "Connectivity")),
        ("ＡＫＳ node pool will not scale", "", "", ("Kubernetes Service (AKS)", "Node pool issues")),
        ("Strange behaviour since Monday", "Please call us back.", "", None),
        ("Budget alert at 80 %", "", "Cost Management", ("Cost Management", "Budgets and alerts")),
    ],
)
def test_the_ticket_words_choose(title: str, body: str, hint: str, expected: tuple[str, str] | None) -> None:
    assert best(title, body, hint) == expected


def test_words_fold_forms_and_drop_what_says_nothing() -> None:
    assert match.words("Resized VMs; resizing a virtual machine") == {"resiz", "vm"}
    assert match.words("The VM stopped") == match.words("vm stops")
    assert match.words("仮想マシンが起動しない") == {"vm", "start"}
    assert match.words("issue with the service") == set()


def test_a_problem_is_ranked_by_its_own_words_not_its_services() -> None:
    """Every VM problem says "VM": that word does not make one of them the ticket's."""
    ticket = match.TicketWords.of("VM question", "")
    problems = PROBLEMS[catalog.service_name("Virtual Machine running Windows")]
    assert match.best_problem(ticket, "Virtual Machine running Windows", problems) is None
