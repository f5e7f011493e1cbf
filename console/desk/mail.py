"""The desk's mail, through the door: taking a mail into the desk, an agent's reply by mail, placing an
unknown sender, sending again a reply that may have gone out. The runner's round (the mailbox read over IMAP,
the outbox sent over SMTP, under the workspace's mail lease) is console/desk/mail_round.py.
Each action checks the agent's role first (``mail.run``, ``ticket.reply``,
``mail.assign``, ``mail.resend``)."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.mail.message import Address, ParsedMail
from console.settings.shapes import MailSection
from console.shared.clock import to_iso
from console.shared.errors import UserError

if TYPE_CHECKING:
    from console.background.leases import Lease
    from console.desk.door import Desk
    from console.desk.mail_round import MailRound
    from console.mail.intake import Intake, Taken
    from console.mail.templates import Templates

#: The workspace lease of the mail runner.
MAIL_LEASE = "mail"


class MailNotConfigured(UserError):
    """The config file has no ``[mail]`` address (or not the half this action needs)."""


def password_of(mail: MailSection, env: dict[str, str] | None = None) -> str | None:
    """The mailbox password: from ``password_command``'s output, else the variable ``password_env`` names."""
    environ = os.environ if env is None else env
    if mail.password_command:
        try:
            done = subprocess.run(
                shlex.split(mail.password_command), capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise MailNotConfigured(f"[mail] password_command could not run ({type(exc).__name__})") from None
        if done.returncode != 0:
            raise MailNotConfigured(f"[mail] password_command failed with exit status {done.returncode}")
        return done.stdout.rstrip("\r\n")
    value = environ.get(mail.password_env, "") if mail.password_env else ""
    return value or None


class MailDesk:
    """The desk's mail actions (``desk.mail``)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    @property
    def settings(self) -> MailSection:
        return self.desk.config.mail

    @property
    def configured(self) -> bool:
        return bool(self.settings.address)

    @property
    def address(self) -> Address:
        s = self.settings
        return Address(s.display_name or self.desk.config.partner.name, s.address)

    @cached_property
    def lease(self) -> Lease:
        from console.background.leases import Lease

        every = self.settings.poll_seconds
        return Lease(self.desk.ws, MAIL_LEASE, timedelta(seconds=max(90, 3 * every)), agent=self.desk.agent)

    # -- how the servers are reached ---------------------------------------------------------------------
    def ca_file(self) -> Path | None:
        """``[mail] ca_bundle`` as a path (relative to the config file); ``None``: the system's authorities."""
        bundle = self.settings.ca_bundle
        if not bundle:
            return None
        path = Path(bundle).expanduser()
        if not path.is_absolute() and self.desk.config.path is not None:
            path = self.desk.config.path.parent / path
        return path

    def token(self) -> Callable[[], str] | None:
        """Exchange Online's token for XOAUTH2 (``[mail] oauth``), from the Microsoft credentials."""
        if not self.settings.oauth:
            return None
        from console.microsoft.credentials import EXCHANGE, credentials_for

        return credentials_for(self.desk.config.microsoft).source(EXCHANGE).get

    # -- the runner --------------------------------------------------------------------------------------
    def intake(self) -> Intake:
        from console.mail.intake import Intake, IntakeSettings

        policy = self.desk.desk_policy
        settings = IntakeSettings(
            max_attachment=self.settings.max_attachment_mb * 1024 * 1024,
            rate_limit=int(policy.value("mail.rate_limit")),
        )
        return Intake(self.desk.ws, self.desk.agent, self.desk.clock, self.desk.services, settings)

    def acknowledging_intake(self) -> Intake:
        """:meth:`intake` that owes an acknowledgement of each new mail ticket (``mail.acknowledge``), for the
        runner that sends the outbox."""
        intake = self.intake()
        if self.desk.desk_policy.value("mail.acknowledge") and self.settings.smtp_host:
            intake.on_new_ticket = self._acknowledge
        return intake

    def run(self, *, fetch: bool = True, send: bool = True, keep: bool = False) -> MailRound:
        """Read the mailbox and send the outbox now, under the mail lease (``mail.run``):
        :func:`console.desk.mail_round.run`."""
        from console.desk import mail_round

        self.desk.authorize("mail.run")
        return mail_round.run(self, fetch=fetch, send=send, keep=keep)

    def watch(self, say: Callable[[str], None], *, rounds: int = 0) -> int:
        """Round after round until stopped (``mail.run``): :func:`console.desk.mail_round.watch`."""
        import time

        from console.desk import mail_round

        self.desk.authorize("mail.run")
        return mail_round.watch(self, say, rounds=rounds, sleep=time.sleep)

    def test(self) -> list[tuple[str, bool, str]]:
        """Log in to each configured server and say what it answered (``mail.run``)."""
        from console.desk import mail_round

        self.desk.authorize("mail.run")
        return mail_round.test(self)

    # -- agents' actions ---------------------------------------------------------------------------------
    def templates(self) -> Templates:
        from console.mail.templates import load_templates

        name = self.settings.templates
        if not name:
            return load_templates(None)
        path = Path(name).expanduser()
        if not path.is_absolute() and self.desk.config.path is not None:
            path = self.desk.config.path.parent / path
        return load_templates(path)

    def signature(self) -> str:
        p = self.desk.config.partner
        return self.settings.signature or "\n".join(x for x in (p.name, self.settings.address, p.support_phone) if x)

    def values(self, ticket: dict[str, Any], body: str = "") -> dict[str, str]:
        """The template fields of ``ticket`` (its customer, contact, offer) for this agent."""
        from console.mail.templates import family_name

        account = self.desk.ws.accounts.account_rows(ticket["customerId"]) or {}
        customer = account.get("customer") or {}
        offer = account.get("offer") or {}
        hours = f"{offer['serviceHours']} ({offer['timeZone']})" if offer else self.desk.config.sla.service_hours
        agent = self.desk.ws.agents.agent(self.desk.agent) or {}
        contact = ticket.get("contactName") or ""
        return {
            "customer.name": customer.get("companyName") or "",
            "contact.name": contact,
            "contact.family_name": family_name(contact),
            "ticket.id": str(ticket["id"]),
            "ticket.title": ticket.get("title") or "",
            "offer.hours": hours,
            "agent.name": agent.get("displayName") or self.desk.agent,
            "desk.name": self.address.name,
            "body": body,
        }

    def language(self, ticket: dict[str, Any]) -> str:
        account = self.desk.ws.accounts.account_rows(ticket["customerId"]) or {}
        customer = account.get("customer") or {}
        return str(customer.get("language") or customer.get("culture") or "en")

    def draft(self, ticket_id: str, body: str = "") -> str:
        """A reply's text from the reply template, in the customer's language (``ticket.reply``)."""
        self.desk.authorize("ticket.reply")
        ticket = self.desk._fresh(ticket_id)
        return self.templates().render("reply", self.language(ticket), self.values(ticket, body))

    def reply(self, ticket_id: dict[str, Any] | str, text: str) -> dict[str, Any]:
        """Reply by mail (``ticket.reply``): on the timeline, the ticket moved, the mail owed to the server."""
        from console.mail import replying

        self.desk.authorize("ticket.reply")
        if not (self.settings.address and self.settings.smtp_host):
            raise MailNotConfigured("no mail to reply with: set address and smtp_host in the [mail] table")
        ticket = self.desk._fresh(ticket_id)
        fresh, _ = replying.reply(
            self.desk.ws,
            ticket,
            text,
            agent=self.desk.agent,
            now=self.desk.clock(),
            desk=self.address,
            signature=self.signature(),
            reply_status=str(self.desk.desk_policy.value("mail.reply_status")),
        )
        return fresh

    def sends_to(self, ticket_id: dict[str, Any] | str) -> list[str]:
        """Who a reply on ``ticket_id`` goes to by mail (To, then Cc); empty when a reply is only logged: no
        ``[mail]`` address and ``smtp_host``, or a ticket that no mail came in on (a phone call's ticket is
        answered as it came, and the reply logged) (``ticket.view``)."""
        from console.mail.compose import recipients_of

        self.desk.authorize("ticket.view")
        if not (self.settings.address and self.settings.smtp_host):
            return []
        ticket = self.desk._fresh(ticket_id)
        answering = self.desk.ws.mail.latest_incoming(ticket["seq"])
        if answering is None:
            return []
        to, cc = recipients_of(answering, ticket, self.settings.address)
        return [a.email for a in (*to, *cc)]

    def answer(self, ticket_id: dict[str, Any] | str, text: str) -> dict[str, Any]:
        """An agent's reply to the customer (``ticket.reply``): by mail where :meth:`sends_to` names someone,
        else logged as sent by other means (the phone, another mail program)."""
        if self.sends_to(ticket_id):
            return self.reply(ticket_id, text)
        return self.desk.note(ticket_id, text, reply=True)

    def _acknowledge(self, ticket_id: str, parsed: ParsedMail, row: int) -> None:
        from console.mail import replying

        ticket = self.desk.ws.tickets.ticket(ticket_id)
        if ticket is None:
            return
        text = self.templates().render("acknowledgement", self.language(ticket), self.values(ticket))
        replying.acknowledge(
            self.desk.ws, ticket_id, text, agent=self.desk.agent, now=self.desk.clock(), desk=self.address, signature=""
        )

    def take(self, raw: bytes) -> Taken:
        """Take one mail (a file's bytes) into the desk as if it arrived now (``mail.run``)."""
        from console.mail.intake import Arrival

        self.desk.authorize("mail.run")
        return self.intake().take(Arrival(raw, self.desk.clock()))

    def assign_sender(self, email: str, customer_id: str, name: str = "") -> list[Taken]:
        """``email`` is a contact of ``customer_id`` from now on; its unmatched mails become tickets
        (``mail.assign``, audited)."""
        self.desk.authorize("mail.assign")
        customer = self.desk.ws.accounts.find_customer(customer_id)
        if customer is None:
            raise LookupError(f"no customer with id or domain {customer_id!r}")
        return self.intake().assign_sender(email, customer, name)

    def resend(self, outbox_id: int) -> bool:
        """Send again a reply that failed or may have gone out already (``mail.resend``, audited)."""
        self.desk.authorize("mail.resend")
        return self.desk.ws.mail.release(outbox_id, self.desk.agent)

    # -- reading -----------------------------------------------------------------------------------------
    def unmatched(self, limit: int = 200) -> list[dict[str, Any]]:
        self.desk.authorize("ticket.view")
        return self.desk.ws.mail.unmatched(limit)

    def of_ticket(self, ticket_id: str) -> list[dict[str, Any]]:
        """The mails of a ticket, in and out, each with its attachments (``attachments``)."""
        self.desk.authorize("ticket.view")
        ticket = self.desk._fresh(ticket_id)
        messages = self.desk.ws.mail.of_ticket(ticket["seq"])
        parts = self.desk.ws.mail.attachments([m["id"] for m in messages])
        return [{**m, "attachments": parts.get(m["id"], [])} for m in messages]

    def outbox(self, states: Sequence[str] = ("pending", "failed", "uncertain")) -> list[dict[str, Any]]:
        """The outbox's replies in ``states`` (by default those owed or needing an agent), oldest first."""
        self.desk.authorize("ticket.view")
        return self.desk.ws.mail.outbox(states)

    def figures(self) -> dict[str, Any]:
        """For ``mail check`` and the health board: the last round, what waits, what failed."""
        state = self.lease.read()
        counts = self.desk.ws.mail.counts()
        live = state is not None and state.live(self.desk.clock())
        return {
            "configured": self.configured,
            "runner": state.who if live and state is not None else None,
            "lastRound": to_iso(state.last_run) if state is not None and state.last_run else None,
            "lastNote": state.last_note if state is not None else None,
            "lastReceived": self.desk.ws.mail.last_received(),
            "unmatched": counts.get("unmatched", 0),
            "outboxPending": counts.get("outbox.pending", 0) + counts.get("outbox.sending", 0),
            "outboxFailed": counts.get("outbox.failed", 0),
            "outboxUncertain": counts.get("outbox.uncertain", 0),
            "counts": counts,
        }
