"""The desk's policy: the desk-wide rules that live in the workspace, not in any agent's config file (issue 18).

A rule is a dotted key (``roles.ticket.assign``, ``claim_minutes``, ``sla.first_response_hours.critical``,
``microsoft.allow_http``...) with a JSON value; the workspace's ``desk_policy`` table holds the rules a Global admin
set (``csp-console policy set``), every other rule has its default here. The values are checked by the same rules
as the config file's were (:mod:`console.settings.rules`). Changing them is :mod:`console.desk.policy_changes`
(through the desk's door: ``policy.set``, audited)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from console.desk.roles import ACTIONS, DEFAULT_ROLE_MAP
from console.settings.shapes import DEFAULT_FIRST_RESPONSE_HOURS, Sla
from console.shared.model import Role

if TYPE_CHECKING:
    from console.desk.door import Desk
    from console.settings.config import Config
    from console.store import Workspace


log = logging.getLogger(__name__)


class PolicyError(ValueError):
    """A desk rule that does not exist or a value it does not take; the message names the key."""


@dataclass(frozen=True)
class Rule:
    key: str
    default: Any
    parse: Callable[[str, str], Any]  # (key, text) -> the JSON value
    help: str


def _int(key: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise PolicyError(f"{key} must be a whole number, not {text!r}") from None


def _hours(key: str, text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise PolicyError(f"{key} must be a number of hours, not {text!r}") from None


def _bool(key: str, text: str) -> bool:
    word = text.strip().lower()
    if word in ("true", "yes", "on", "1"):
        return True
    if word in ("false", "no", "off", "0"):
        return False
    raise PolicyError(f"{key} must be true or false, not {text!r}")


def _text(key: str, text: str) -> str:
    return text.strip()


def _replacements(key: str, text: str) -> dict[str, str]:
    """``office365=acme365,azure=contoso``: the service ids another plugin than their owner provides."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        service, sep, plugin = (s.strip() for s in part.partition("="))
        if not sep or not service or not plugin:
            raise PolicyError(
                f"{key} must be SERVICE=PLUGIN pairs separated by commas (office365=acme365), not {part!r}"
            )
        out[service] = plugin
    return out


def _rate(key: str, text: str) -> int:
    value = _int(key, text)
    if not 1 <= value <= 10_000:
        raise PolicyError(f"{key} must be 1 to 10000, not {value}")
    return value


def _reply_status(key: str, text: str) -> str:
    value = text.strip()
    allowed = ("waiting_customer", "in_progress", "")
    if value not in allowed:
        raise PolicyError(f"{key} must be waiting_customer, in_progress or empty (no change), not {text!r}")
    return value


def _fractions(key: str, text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise PolicyError(f"{key} must be fractions separated by commas (e.g. 0.75,0.9), not {text!r}") from None


def _roles(key: str, text: str) -> list[str]:
    names = sorted({part.strip() for part in text.split(",") if part.strip()})
    known = [r.value for r in Role]
    for name in names:
        if name not in known:
            expected = ", ".join(known)
            raise PolicyError(f"{key}: unknown role {name!r}; expected roles separated by commas, of {expected}")
    return names


_SLA = Sla()


def _catalog() -> dict[str, Rule]:
    rules = [
        Rule(f"roles.{action}", sorted(r.value for r in DEFAULT_ROLE_MAP[action]), _roles, f"who may {action}")
        for action in ACTIONS
    ]
    rules += [
        Rule("claim_minutes", 30, _int, "how long a claim lasts without activity (1 to 1440)"),
        Rule("time_zone", "UTC", _text, "the desk's day (health board's today, times without an offset)"),
        Rule("sla.service_hours", _SLA.service_hours, _text, "business hours of customers without an offer"),
        Rule("sla.time_zone", _SLA.time_zone, _text, "their time zone; empty: the desk's time_zone"),
        Rule("sla.holiday_calendar", _SLA.holiday_calendar, _text, "their holiday calendar"),
        Rule("sla.pause_on_microsoft", _SLA.pause_on_microsoft, _bool, "clocks stop while waiting on Microsoft"),
        Rule("sla.warn_at", list(_SLA.warn_at), _fractions, "warn at these fractions of a target"),
        Rule("sla.low_balance_hours", _SLA.low_balance_hours, _hours, "an offer's balance is low below this"),
    ]
    for section, defaults in (
        ("first_response_hours", _SLA.first_response_hours),
        ("resolution_hours", _SLA.resolution_hours),
    ):
        for severity in DEFAULT_FIRST_RESPONSE_HOURS:
            what = section.replace("_hours", "").replace("_", " ")
            rules.append(
                Rule(f"sla.{section}.{severity}", defaults[severity], _hours, f"{what} target, business hours")
            )
    rules.append(
        Rule("microsoft.allow_http", False, _bool, "allow http:// to Microsoft's APIs beyond this host (127.0.0.1)")
    )
    rules += [
        Rule("mail.acknowledge", False, _bool, "acknowledge each new mail ticket by mail (its number and hours)"),
        Rule("mail.reply_status", "waiting_customer", _reply_status, "where a reply by mail moves a ticket"),
        Rule("mail.rate_limit", 20, _rate, "mails one sender may turn into tickets in an hour (1 to 10000)"),
    ]
    rules.append(
        Rule(
            "plugins.replace",
            {},
            _replacements,
            "services another plugin provides in place of their owner: SERVICE=PLUGIN,... (empty: none)",
        )
    )
    return {rule.key: rule for rule in rules}


#: Every desk rule by key, in the order ``policy show`` lists them.
RULES: dict[str, Rule] = _catalog()


@dataclass(frozen=True)
class DeskPolicy:
    """The desk's rules in force: the stored ones over the defaults."""

    roles: dict[str, list[str]] = field(default_factory=dict)  # action -> roles (only those that differ or were set)
    claim_minutes: int = 30
    time_zone: str = "UTC"
    sla: Sla = field(default_factory=Sla)
    allow_http: bool = False
    plugin_replacements: dict[str, str] = field(default_factory=dict)  # service id -> the plugin providing it
    stored: Mapping[str, Any] = field(default_factory=dict)  # the rules as set in the workspace

    def value(self, key: str) -> Any:
        """The value of rule ``key`` in force."""
        return self.stored.get(key, RULES[key].default)


def rule(key: str) -> Rule:
    """The rule named ``key``; :class:`PolicyError` naming it and where to find the keys otherwise."""
    found = RULES.get(key.strip())
    if found is None:
        raise PolicyError(f"{key!r} is not a desk rule; csp-console policy show lists them")
    return found


def parse_value(key: str, text: str) -> Any:
    """``text`` (as typed after ``policy set KEY``) as rule ``key``'s JSON value, its form checked."""
    return rule(key).parse(key, text)


def policy_of(stored: Mapping[str, Any]) -> DeskPolicy:
    """The policy from the stored rules (unknown keys, from a newer build, are ignored), every value checked by
    :mod:`console.settings.rules`; :class:`PolicyError` naming the first rule that fails."""
    known = {k: v for k, v in stored.items() if k in RULES}
    value = {k: known.get(k, r.default) for k, r in RULES.items()}
    roles = {k.removeprefix("roles."): list(v) for k, v in known.items() if k.startswith("roles.")}
    sla = {k.removeprefix("sla."): v for k, v in value.items() if k.startswith("sla.") and k.count(".") == 1}
    for section in ("first_response_hours", "resolution_hours"):
        prefix = f"sla.{section}."
        sla[section] = {k.removeprefix(prefix): v for k, v in value.items() if k.startswith(prefix)}
    sla["warn_at"] = sorted(sla["warn_at"])
    try:
        policy = DeskPolicy(
            roles=roles,
            claim_minutes=int(value["claim_minutes"]),
            time_zone=str(value["time_zone"]),
            sla=msgspec.convert(sla, Sla),
            allow_http=bool(value["microsoft.allow_http"]),
            plugin_replacements={str(k): str(v) for k, v in dict(value["plugins.replace"]).items()},
            stored=dict(known),
        )
    except msgspec.ValidationError as exc:
        raise PolicyError(f"a stored desk rule has the wrong form ({exc})") from None
    _check(policy)
    return policy


def _check(policy: DeskPolicy) -> None:
    from console.settings import rules
    from console.shared.shapes import ShapeError, label

    try:
        rules.check_roles(policy.roles, prefix="roles")
        rules.check_range(("claim_minutes",), policy.claim_minutes, 1, 24 * 60)
        rules.check_zone(("time_zone",), policy.time_zone)
        rules.check_sla(policy.sla)
    except ShapeError as exc:
        raise PolicyError(exc.message if exc.whole else f"{label(exc.path)}: {exc.message}") from None


def read_policy(ws: Workspace) -> DeskPolicy:
    """The workspace's desk policy now (one small query)."""
    return policy_of(ws.policy.rules())


def applied(config: Config, policy: DeskPolicy) -> Config:
    """``config`` (an agent's own file: personal settings and the desk's deployment) with the desk's rules."""
    return dataclasses.replace(
        config, roles=dict(policy.roles), claim_minutes=policy.claim_minutes, time_zone=policy.time_zone, sla=policy.sla
    )


def seed_policy(ws: Workspace, stored: Mapping[str, Any], agent: str) -> None:
    """Write the rules ``stored`` into a new workspace (the demo's desk), each checked; not an agent's action,
    so not audited (like the demo's tickets)."""
    policy_of(stored)
    with ws.transaction():
        for key, value in stored.items():
            ws.policy.put(key, value, agent)


class PolicyWatch:
    """The desk's policy as a long-running console follows it: read when it starts, read again whenever the
    workspace changed (the console polls SQLite's data_version already), so a Global admin's ``policy set``
    holds in every console at once."""

    def __init__(self, ws: Workspace, file_config: Config) -> None:
        self.ws = ws
        self.file_config = file_config
        self.policy = read_policy(ws)
        self.config = applied(file_config, self.policy)

    def follow(self, desk: Desk | None, holders: Iterable[object] = ()) -> Config:
        """After a change in the workspace: the configuration under the desk's policy as it is now. When the policy
        changed, ``desk`` acts under it from now on, and so does the door of each of ``holders`` that already
        built its ``reads`` with a door of its own (the console's queue screen, before the desk was built)."""
        from console.desk.roles import Door, RoleMap

        try:
            policy = read_policy(self.ws)
        except Exception:  # the file busy (sqlite3, which only the store imports), gone, or from a newer build
            log.warning("could not read the desk policy; the next change tries again", exc_info=True)
            return self.config
        if policy.stored == self.policy.stored:
            return self.config
        self.policy, self.config = policy, applied(self.file_config, policy)
        if desk is not None:
            desk.use_policy(policy)
        for holder in holders:
            door = getattr(vars(holder).get("reads"), "door", None)  # never builds it: only one already there
            if isinstance(door, Door):
                door.role_map = RoleMap(policy.roles)
        return self.config
