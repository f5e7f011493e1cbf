"""What a plugin may add to the console besides checks and handlers: a ``csp-console`` command, a queue column,
an account section, key-bound ticket actions, intake fields for its service, receivers of ticket events, and
the settings of its ``[plugins.NAME]`` section of the desk's config.

Part of the public plugin API: plugins import these names from :mod:`console.plugin_api`. Every class is a
keyword-only frozen dataclass; every ``id`` is namespaced by the plugin (``"intune.compliance"`` for the
plugin named ``intune``), and the console refuses, naming the plugin, anything that is not.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from console.plugins.views import CheckContext, TicketView


@dataclass(frozen=True, kw_only=True)
class CommandContext:
    """What a plugin's command receives: its parsed arguments, the plugin's settings, a way to print (text is
    written literally: control characters and escapes of untrusted text are made visible) and read-only
    account contexts, read as the agent running the command."""

    args: argparse.Namespace
    settings: Mapping[str, Any]
    echo: Callable[[str], None]
    account: Callable[[str], CheckContext]
    """``account(customer_id)``: the customer's :class:`CheckContext` (``ticket`` is ``None``)."""
    customer_ids: Callable[[], Sequence[str]]


@dataclass(frozen=True, kw_only=True)
class Command:
    """A ``csp-console`` subcommand. ``name`` is the plugin's name or starts with it and a dash
    (``intune``, ``intune-devices``); ``arguments(parser)`` adds its arguments; ``run(ctx)`` returns the exit
    status (0 for success)."""

    name: str
    help: str
    run: Callable[[CommandContext], int]
    arguments: Callable[[argparse.ArgumentParser], None] | None = None


@dataclass(frozen=True, kw_only=True)
class QueueColumn:
    """A column of the triage queue. ``value(ticket)`` is called for each visible row and must be quick (it
    runs while the agent scrolls: a column whose values take more than 50 ms for one page, or that raises, is
    hidden for the session and the agent told why); its text is cut to ``width`` cells."""

    id: str
    title: str
    width: int
    value: Callable[[TicketView], str]
    services: tuple[str, ...] = ()
    """Only for tickets of these services (empty: every ticket); others show an empty cell."""


@dataclass(frozen=True, kw_only=True)
class AccountSection:
    """A section of the account screen: ``lines(ctx)`` returns at most 20 lines of plain text (shown literally,
    each cut to the screen's width), e.g. a device-compliance summary. Shown only for customers with a
    subscription of one of ``services`` (empty: every customer)."""

    id: str
    title: str
    lines: Callable[[CheckContext], Sequence[str]]
    services: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ActionContext:
    """What a ticket action receives: the ticket, its customer's account and the plugin's settings."""

    ticket: TicketView
    account: CheckContext
    settings: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class ActionResult:
    """What an action tells the agent (``message``, one line) and, optionally, a note it adds to the ticket's
    timeline (through the console's role check and audit, as the agent)."""

    message: str
    note: str | None = None


class ActionScope(StrEnum):
    """Where an action's key works: on the ticket screen, or on the selected row of the queue too."""

    TICKET = "ticket"
    QUEUE = "queue"


@dataclass(frozen=True, kw_only=True)
class TicketAction:
    """A key-bound action on a ticket (as k9s plugins add). ``key`` is a Textual key name (``ctrl+d``, ``D``)
    that no console binding of the scope uses; the action is listed in ``?`` and the command palette.
    ``confirm`` is the question asked first (``dangerous`` actions always ask, and the agent types the ticket
    number to go on). ``run(ctx)`` runs off the screen's thread, with a time budget of 10 s."""

    id: str
    key: str
    label: str
    run: Callable[[ActionContext], ActionResult]
    scope: ActionScope = ActionScope.TICKET
    services: tuple[str, ...] = ()
    confirm: str | None = None
    dangerous: bool = False


@dataclass(frozen=True, kw_only=True)
class IntakeField:
    """A field of the intake form, shown when the ticket's service is ``service``; its value is kept with the
    ticket (``TicketView.fields[id]``). ``choices`` makes it a list; ``check(value)`` returns an error text (or
    ``None``) shown beside the field."""

    id: str
    service: str
    label: str
    required: bool = False
    max_length: int = 200
    choices: tuple[str, ...] = ()
    check: Callable[[str], str | None] | None = None


class EventKind(StrEnum):
    """What happened to a ticket."""

    CREATED = "ticket.created"
    ESCALATED = "ticket.escalated"
    RESOLVED = "ticket.resolved"
    MICROSOFT_REPLIED = "ticket.microsoft_replied"


@dataclass(frozen=True, kw_only=True)
class Event:
    """One event, as a receiver gets it. ``id`` is unique and stable across retries (use it to deduplicate)."""

    id: str
    kind: EventKind
    at: datetime
    ticket: TicketView
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class EventReceiver:
    """Receives ticket events, e.g. to post to a Teams channel. Events are written to the console's durable
    outbox with the change and delivered by the workspace's background runner, so a slow receiver never
    blocks an agent: ``deliver(event, settings)`` raising is retried later (with backoff), each event is
    delivered until it succeeds once."""

    id: str
    kinds: tuple[EventKind, ...]
    deliver: Callable[[Event, Mapping[str, Any]], None]


@dataclass(frozen=True, kw_only=True)
class Setting:
    """One key of the plugin's ``[plugins.NAME]`` section: ``kind`` is ``str``, ``int``, ``float``, ``bool`` or
    ``list`` (of strings); without ``default`` and ``required`` false the key is optional and absent when not
    given. ``secret`` values are never printed."""

    name: str
    kind: type
    help: str = ""
    default: Any = None
    required: bool = False
    secret: bool = False
