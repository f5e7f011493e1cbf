"""Checking what a plugin hands the console, at the boundary: enums from their string values, text cut to its
limit with "…", ids namespaced by the plugin, and every refusal naming the plugin, the item and the field.

A value that cannot be taken raises :class:`PluginValueError`; the caller drops that one item and reports the
message (``csp-console plugins``, the log, a console notice), so one bad finding costs only that finding.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from console.plugins.findings import Audience, Boundary, Family, Finding, Level
from console.plugins.vehicles import DELIVERY_AZURE_API, DELIVERY_HANDOFF, CaseDraft, Eligibility
from console.shared.model import Severity, Vehicle

E = TypeVar("E", bound=Enum)

#: Limits of a finding's text, in characters (a title is one line: two at 80 columns at most).
TITLE_LIMIT = 120
EXPLANATION_LIMIT = 2000
ACTION_LIMIT = 500
SUBJECT_LIMIT = 200
ID_LIMIT = 100
LABEL_LIMIT = 60
_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]*")


class PluginValueError(ValueError):
    """A value a plugin returned that the console refuses; the message names the plugin, item and field."""


def cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters, ending in "…" when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str, limit: int) -> str:
    """``text`` on one line (runs of whitespace, line breaks included, become one space), cut to ``limit``."""
    return cut(" ".join(text.split()), limit)


def enum_value(enum: type[E], value: object, where: str) -> E:
    """``value`` as a member of ``enum``: a member, or its string value (``"escalate"`` for
    ``Boundary.ESCALATE``); anything else is refused naming ``where`` and the values it takes."""
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        for member in enum:
            if member.value == value:
                return member
    allowed = ", ".join(repr(m.value) for m in enum)
    raise PluginValueError(f"{where} is {_shown(value)}, expected one of {allowed}")


def text_value(value: object, where: str, limit: int, *, line: bool = False, empty: bool = True) -> str:
    if not isinstance(value, str):
        raise PluginValueError(f"{where} is {type(value).__name__}, expected text")
    if not empty and not value.strip():
        raise PluginValueError(f"{where} is empty")
    return one_line(value, limit) if line else cut(value, limit)


def namespaced(plugin: str, value: object, where: str) -> str:
    """An id of ``plugin``'s: ``"<plugin>.<name>"``; refused otherwise (another plugin's ids stay theirs)."""
    ident = text_value(value, where, ID_LIMIT * 2, empty=False)
    if len(ident) > ID_LIMIT:
        raise PluginValueError(f"{where} is longer than {ID_LIMIT} characters")
    if not ident.startswith(f"{plugin}.") or len(ident) == len(plugin) + 1:
        raise PluginValueError(f"{where} {_shown(ident)} is not in the plugin's namespace: ids start with {plugin!r}.")
    return ident


def own_name(plugin: str, value: object, where: str) -> str:
    """A name of ``plugin``'s: the plugin's name itself or the name, a dot or dash, and more (services,
    commands)."""
    name = text_value(value, where, ID_LIMIT, empty=False)
    if not _NAME.fullmatch(name.replace(".", "_")):
        raise PluginValueError(f"{where} {_shown(name)} takes lowercase letters, digits, '_', '-' and '.'")
    if name != plugin and not (name.startswith((f"{plugin}.", f"{plugin}-")) and len(name) > len(plugin) + 1):
        raise PluginValueError(f"{where} {_shown(name)} is not in the plugin's namespace: {plugin!r} or {plugin!r}-…")
    return name


def finding(plugin: str, check_id: str, item: object) -> Finding:
    """``item`` as a finding of ``plugin``'s check ``check_id``, every field checked and converted."""
    where = f"plugin {plugin}: check {check_id}: finding"
    if not isinstance(item, Finding):
        raise PluginValueError(f"{where} is {type(item).__name__}, expected Finding")
    vehicle = None if item.vehicle is None else enum_value(Vehicle, item.vehicle, f"{where} field vehicle")
    subject = None if item.subject is None else text_value(item.subject, f"{where} field subject", SUBJECT_LIMIT)
    return dataclasses.replace(
        item,
        check_id=namespaced(plugin, item.check_id, f"{where} field check_id"),
        family=enum_value(Family, item.family, f"{where} field family"),
        level=enum_value(Level, item.level, f"{where} field level"),
        title=text_value(item.title, f"{where} field title", TITLE_LIMIT, line=True, empty=False),
        explanation=text_value(item.explanation, f"{where} field explanation", EXPLANATION_LIMIT),
        action=text_value(item.action, f"{where} field action", ACTION_LIMIT),
        boundary=enum_value(Boundary, item.boundary, f"{where} field boundary"),
        vehicle=vehicle,
        audience=enum_value(Audience, item.audience, f"{where} field audience"),
        subject=subject,
    )


def severity(value: object, where: str) -> Severity:
    return enum_value(Severity, value, where)


def vehicle(value: object, where: str) -> Vehicle:
    return enum_value(Vehicle, value, where)


def callable_value(value: object, where: str) -> Callable[..., Any]:
    if not callable(value):
        raise PluginValueError(f"{where} is {type(value).__name__}, expected a function")
    return value


def _shown(value: object) -> str:
    text = repr(value)
    return cut(text, 60)


def eligibility(plugin: str, where: str, value: object) -> Eligibility:
    """A handler's answer: ``Eligibility(eligible, reason)`` with a boolean and a short text."""
    where = f"plugin {plugin}: {where}"
    if not isinstance(value, Eligibility):
        raise PluginValueError(f"{where} returned {type(value).__name__}, expected Eligibility")
    if not isinstance(value.eligible, bool):
        raise PluginValueError(f"{where} field eligible is {_shown(value.eligible)}, expected True or False")
    return Eligibility(
        eligible=value.eligible, reason=text_value(value.reason, f"{where} field reason", 300, line=True)
    )


def case_draft(plugin: str, where: str, value: object, vehicle: Vehicle, service: str) -> CaseDraft:
    """A handler's case, checked: the vehicle and service of the handler that built it, a known severity and
    delivery, texts within Microsoft's limits (the draft screen cuts them again to the API's)."""
    where = f"plugin {plugin}: {where}"
    if not isinstance(value, CaseDraft):
        raise PluginValueError(f"{where} returned {type(value).__name__}, expected CaseDraft")
    if enum_value(Vehicle, value.vehicle, f"{where} field vehicle") != vehicle or value.service != service:
        raise PluginValueError(f"{where} built a case for {value.service}:{value.vehicle}, not {service}:{vehicle}")
    if value.delivery not in (DELIVERY_AZURE_API, DELIVERY_HANDOFF):
        raise PluginValueError(f"{where} field delivery is {_shown(value.delivery)}")
    sub = value.azure_subscription_id
    return dataclasses.replace(
        value,
        vehicle=vehicle,
        title=text_value(value.title, f"{where} field title", 200, line=True, empty=False),
        description=text_value(value.description, f"{where} field description", 20_000),
        severity=enum_value(Severity, value.severity, f"{where} field severity"),
        support_topic=text_value(value.support_topic, f"{where} field support_topic", 200, line=True),
        handoff_url=text_value(value.handoff_url, f"{where} field handoff_url", 2000, line=True),
        service_hint=text_value(value.service_hint, f"{where} field service_hint", 200, line=True),
        azure_subscription_id=None if sub is None else text_value(sub, f"{where} field azure_subscription_id", 100),
    )
