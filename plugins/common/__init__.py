"""Checks across services: overdue receivables and dunning, requests outside the support offer, and
classification of tickets that arrive without a service or category."""

from __future__ import annotations

from console.plugin_api import Check, Family, hookimpl

from . import checks

__version__ = "0.1.0"


@hookimpl
def csp_checks() -> list[Check]:
    return [
        Check(
            id="common.overdue",
            family=Family.BILLING,
            run=checks.overdue_receivables,
            description="Overdue receivables and the dunning stage they reached",
        ),
        Check(
            id="common.outside_offer",
            family=Family.TECHNICAL,
            run=checks.outside_offer,
            description="A request outside the customer's support offer: hours, contact method, type, service",
        ),
        Check(
            id="common.classify",
            family=Family.TECHNICAL,
            run=checks.classify,
            description="Suggests the service and category of an unclassified ticket",
        ),
    ]
