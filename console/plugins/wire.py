"""What crosses between the console and its check process (:mod:`console.plugins.worker`), pickled.

A request is contexts and check ids. The views the contexts of a customer share (the customer, its
subscriptions, receivables and support offer, the partner, the services, the dunning stages: the fields of
:data:`SHARED`) are sent once: the child keeps them by a number and a context names them by that number, so a
ticket costs its own view, not its account's again (pickling a whole context was ~160 microseconds, more than
the checks of a ticket take). The console keeps what it sent (by identity, holding it so no id is reused) up to
:data:`SHARED_LIMIT` views, then both sides start afresh; a new child starts afresh too. The rest of a context
(its ticket, ``now``...) is pickled as it is, by the C pickler alone: no code of ours runs per object.

Findings of plain values come back with the context's other outcomes, in one pickle stream a request (a pickle
per check was ~30 microseconds a finding: its class and enum members looked up again each time); see
:func:`outcome` and :class:`ReplyWriter`.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from console.plugins.findings import Audience, Boundary, Family, Finding, Level
from console.plugins.loading import describe
from console.plugins.views import CheckContext
from console.shared.model import Severity, Vehicle

SHARED_LIMIT = 4096
#: The fields of a :class:`CheckContext` that the contexts of one customer share, by identity.
SHARED = ("customer", "subscriptions", "receivables", "offer", "partner", "services", "dunning_stages")
Request = list[tuple[CheckContext, list[str]]]
_PLAIN = frozenset((str, int, float, bool, type(None)))
_SAFE = _PLAIN | {Family, Level, Boundary, Audience, Vehicle, Severity}


def dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class Sender:
    """The console's side: encodes requests, remembering what the child has."""

    def __init__(self) -> None:
        self._sent: dict[int, tuple[int, object]] = {}
        self._next = 0
        self._afresh = True

    def forget(self) -> None:
        """The child is new (or will be told to start afresh): nothing is known to it."""
        self._sent.clear()
        self._afresh = True

    def request(self, jobs: Request) -> bytes:
        """``jobs`` as one message; raises what pickling raises (nothing is then taken as sent)."""
        if len(self._sent) > SHARED_LIMIT:
            self.forget()
        fresh: list[tuple[int, object]] = []
        try:
            encoded = [(self._context(ctx, fresh), ids) for ctx, ids in jobs]
            message = dumps((self._afresh, fresh, encoded))
        except BaseException:
            for _key, obj in fresh:
                del self._sent[id(obj)]
            raise
        self._afresh = False
        return message

    def _context(self, ctx: CheckContext, fresh: list[tuple[int, object]]) -> object:
        """``(numbers of the shared fields, the other fields)``; a context of another class: itself."""
        if type(ctx) is not CheckContext:
            return ctx
        own = dict(ctx.__dict__)
        named: list[tuple[str, int]] = []
        for name in SHARED:
            obj = own.pop(name)
            hit = self._sent.get(id(obj))
            if hit is None or hit[1] is not obj:
                hit = self._sent[id(obj)] = (self._next, obj)
                fresh.append(hit)
                self._next += 1
            named.append((name, hit[0]))
        return named, own


class Receiver:
    """The child's side: decodes requests, keeping what the console sent once."""

    def __init__(self) -> None:
        self.known: dict[int, object] = {}

    def request(self, message: bytes) -> Request:
        afresh, fresh, encoded = pickle.loads(message)
        if afresh:
            self.known.clear()
        self.known.update(fresh)
        return [(self._context(ctx), ids) for ctx, ids in encoded]

    def _context(self, encoded: Any) -> CheckContext:
        if isinstance(encoded, CheckContext):
            return encoded
        named, own = encoded
        ctx = object.__new__(CheckContext)
        ctx.__dict__.update(own)
        ctx.__dict__.update((name, self.known[key]) for name, key in named)
        return ctx


class ReplyWriter:
    """The child's side of a request's replies: one pickle a message, one pickler for the whole request, so
    the classes and enum members of the findings are written once a request, not once a message (a finding
    cost ~20 microseconds to pickle on its own, ~3 in a request's stream)."""

    def __init__(self) -> None:
        self._sink = io.BytesIO()
        self._pickler = pickle.Pickler(self._sink, protocol=pickle.HIGHEST_PROTOCOL)

    def reply(self, answers: list[list[tuple[str, Any]]]) -> bytes:
        """Some contexts' outcomes, in order."""
        self._pickler.dump(answers)
        data = self._sink.getvalue()
        self._sink.seek(0)
        self._sink.truncate()
        return data


class ReplyReader:
    """The console's side of a request's replies, read in order with one unpickler (see :class:`ReplyWriter`)."""

    def __init__(self) -> None:
        self._feed = io.BytesIO()
        self._unpickler = pickle.Unpickler(self._feed)

    def reply(self, data: bytes) -> list[list[tuple[str, Any]]]:
        feed = self._feed
        feed.seek(0)
        feed.truncate()
        feed.write(data)
        feed.seek(0)
        return [[load_outcome(status, value) for status, value in answer] for answer in self._unpickler.load()]


def outcome(status: str, value: Any) -> tuple[str, Any]:
    """A check's outcome as the child sends it. Items of plain values only (findings of text, numbers,
    ``None`` and the plugin API's enum members; text, numbers) are ``"plain"``: pickled with the context's other
    outcomes, where no plugin code can run. Others are pickled here, on their own, where a plugin's
    ``__reduce__`` runs within the check's budget; what does not pickle is "unsent", that check's failure."""
    if status != "ok":
        return status, value
    if not value:
        return "ok", None
    if all(_plain(item) for item in value):
        return "plain", value
    try:
        return "ok", dumps(value)
    except BaseException as exc:  # a lambda, a generator, an open file among the findings
        return "unsent", describe(exc)


def _plain(item: object) -> bool:
    kind = type(item)
    if kind is Finding:
        return _SAFE.issuperset(map(type, item.__dict__.values()))
    return kind in _PLAIN


def load_outcome(status: str, value: Any) -> tuple[str, Any]:
    """An outcome as the console takes it: ``("ok", items)``, or what the child said went wrong."""
    if status == "plain":
        return "ok", value
    if status != "ok":
        return status, value
    if value is None:
        return "ok", []
    try:
        return "ok", pickle.loads(value)
    except BaseException as exc:  # a finding of the plugin's own class that does not unpickle here
        if isinstance(exc, KeyboardInterrupt):
            raise
        return "unsent", describe(exc)
