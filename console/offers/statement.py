"""The support offer as a plain statement to send to the customer: what is covered, service hours, how to
reach the desk, and the price (Markdown or HTML; customer-written text is escaped in HTML)."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from console.settings.config import Config
from console.shared.model import BUILTIN_SERVICES
from console.shared.money import money
from console.shared.safe_text import clean_line
from console.sla.service_hours import describe, parse_service_hours

TYPE_TEXT = {
    "billing": "billing questions: invoices, charges, payments",
    "subscription": "subscription management: licences, seats, renewals, cancellations",
    "technical": "technical support: diagnosis, configuration, and escalation to Microsoft",
}
CONTACT_TEXT = {"phone": "phone", "email": "email", "portal": "the support portal", "chat": "chat"}
SEVERITY_TEXT = {
    "critical": "Severity A (production down)",
    "moderate": "Severity B (production partly affected)",
    "minimal": "Severity C (minimal impact)",
    "unknown": "Requests without a severity",
}


def _hours(value: float) -> str:
    return f"{value:g} business hour{'s' if value != 1 else ''}"


def statement_sections(
    customer: Mapping[str, Any],
    offer: Mapping[str, Any],
    holidays: Sequence[Mapping[str, Any]],
    config: Config,
    service_names: Mapping[str, str],
    balance_hours: Decimal | None,
    today: date,
) -> list[tuple[str, list[str]]]:
    """The statement as (heading, paragraphs or items) sections, in plain text."""
    services = json.loads(offer["services"] or "[]") or list(service_names)
    names = [service_names.get(s) or BUILTIN_SERVICES.get(s, s) for s in services]
    types = json.loads(offer["supportTypes"])
    covered = [f"{TYPE_TEXT.get(t, t)}" for t in types]
    covered.append("for " + ", ".join(names))
    escalation = [
        "We diagnose and resolve what lies within our support. Problems that need Microsoft are escalated by us "
        "on your behalf: you do not need to contact Microsoft. Phone support from Microsoft is not part of the "
        "CSP entitlement.",
    ]
    return [
        ("What is covered", covered),
        ("Service hours", _service_hours(offer, holidays, today)),
        ("How to reach us", _contacts(offer, config)),
        ("Response and resolution targets", _targets(offer, config)),
        ("Price", _pricing(offer, balance_hours, today)),
        ("Escalation to Microsoft", escalation),
    ]


def _service_hours(offer: Mapping[str, Any], holidays: Sequence[Mapping[str, Any]], today: date) -> list[str]:
    hours = describe(parse_service_hours(offer["serviceHours"]))
    when = [f"{hours} ({offer['timeZone']} time)."]
    upcoming = [h for h in holidays if h["date"] >= today.isoformat()][:12]
    if offer["holidayCalendar"]:
        when.append(f"Closed on the holidays of the '{offer['holidayCalendar']}' calendar.")
        when += [f"{h['date']}: {h['name']}" for h in upcoming]
    when.append("Requests outside these hours are answered when the desk next opens.")
    return when


def _contacts(offer: Mapping[str, Any], config: Config) -> list[str]:
    partner = config.partner
    contacts = []
    for method in json.loads(offer["contactMethods"]):
        detail = ""
        if method == "email" and partner.support_email:
            detail = f": {partner.support_email}"
        elif method == "phone" and partner.support_phone:
            detail = f": {partner.support_phone}"
        contacts.append(f"{CONTACT_TEXT.get(method, method)}{detail}")
    return contacts


def _targets(offer: Mapping[str, Any], config: Config) -> list[str]:
    first = json.loads(offer.get("firstResponseHours") or "{}")
    resolution = json.loads(offer.get("resolutionHours") or "{}")
    targets = []
    for sev, label in SEVERITY_TEXT.items():
        fr = first.get(sev, config.sla.first_response_hours[sev])
        res = resolution.get(sev, config.sla.resolution_hours[sev])
        targets.append(f"{label}: first response within {_hours(fr)}, resolution target {_hours(res)}")
    pause = offer.get("pauseOnMicrosoft")
    pause_ms = config.sla.pause_on_microsoft if pause is None else bool(pause)
    targets.append(
        "Business hours are counted; the clock stops while we wait for your reply"
        + (" or for Microsoft." if pause_ms else ".")
    )
    return targets


def _pricing(offer: Mapping[str, Any], balance_hours: Decimal | None, today: date) -> list[str]:
    currency = offer["currencyCode"]
    price = Decimal(offer["price"]) if offer["price"] else None
    model = offer["pricingModel"]
    if model == "included":
        pricing = ["Included in your plan: no charge per request."]
    elif model == "per_incident":
        pricing = [f"{money(price or Decimal(0), currency)} per incident (one charge per request, however long)."]
    elif model == "hourly":
        pricing = [f"{money(price or Decimal(0), currency)} per hour, billed by the quarter hour of work logged."]
    else:
        prepaid = Decimal(offer["prepaidHours"] or "0")
        pricing = [
            f"Prepaid: {prepaid.normalize():f} hours" + (f" for {money(price, currency)}" if price else "") + "."
        ]
        if balance_hours is not None:
            pricing.append(f"Balance on {today.isoformat()}: {balance_hours.normalize():f} hours.")
    pricing.append("Prices exclude consumption tax (10 %)." if currency == "JPY" else "Prices exclude taxes.")
    return pricing


def render(
    customer: Mapping[str, Any],
    offer: Mapping[str, Any],
    sections: list[tuple[str, list[str]]],
    partner_name: str,
    today: date,
    fmt: str,
) -> str:
    title = clean_line(f"Support offer for {customer['companyName']}: {offer['name']}")
    intro = f"From {partner_name or 'your Microsoft cloud partner'}, {today.isoformat()}."
    if fmt == "md":
        out = [f"# {_md(title)}", "", _md(intro), ""]
        for heading, items in sections:
            out += [f"## {heading}", ""]
            out += [f"- {_md(clean_line(i))}" for i in items]
            out.append("")
        return "\n".join(out)
    e = html.escape
    body = [f"<h1>{e(title)}</h1>", f"<p>{e(intro)}</p>"]
    for heading, items in sections:
        body.append(f"<h2>{e(heading)}</h2>")
        body.append("<ul>" + "".join(f"<li>{e(clean_line(i))}</li>" for i in items) + "</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _md(text: str) -> str:
    """Markdown-escape text that may come from the customer (a company name) so it renders literally."""
    for ch in "\\`*_{}[]<>#|!":
        text = text.replace(ch, "\\" + ch)
    return text
