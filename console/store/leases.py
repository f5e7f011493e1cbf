"""Leases on the workspace's background jobs (part of the store: all SQL lives in this package).

One row per job (``name``): the process that holds it (``holder``), the agent whose console or command that
is, and until when it holds it. Times are wall-clock UTC strings in the store's one format
(``2026-11-23T03:09:44Z``, see :func:`console.shared.clock.to_iso`), so they compare as text. Taking a lease is one
write transaction (the write lock taken at once) that reads the row and writes it only if it is free, expired,
already the caller's, or held by a holder the caller knows to be gone: two processes racing for it cannot both
win.
:mod:`console.background.leases` decides when to call these.
"""

from __future__ import annotations

from typing import Any

from console.store.base import Base

LEASE_COLUMNS = (
    "name",
    "holder",
    "agent",
    "acquiredDate",
    "renewedDate",
    "expiresDate",
    "lastRunDate",
    "lastRunNote",
)


class LeaseRepo:
    """The background jobs' leases."""

    def __init__(self, db: Base) -> None:
        self.db = db

    def lease_row(self, name: str) -> dict[str, Any] | None:
        """The lease ``name`` as stored (held, expired or released), or ``None`` if nobody ever took it."""
        row = self.db.conn.execute(f"SELECT {', '.join(LEASE_COLUMNS)} FROM leases WHERE name = ?", (name,)).fetchone()
        return dict(row) if row else None

    def lease_rows(self) -> list[dict[str, Any]]:
        rows = self.db.conn.execute(f"SELECT {', '.join(LEASE_COLUMNS)} FROM leases ORDER BY name")
        return [dict(r) for r in rows]

    def take_lease(
        self,
        name: str,
        holder: str,
        agent: str,
        now: str,
        expires: str,
        *,
        displace: str | None = None,
    ) -> dict[str, Any]:
        """Take lease ``name`` for ``holder`` until ``expires``, or renew it if ``holder`` has it already.

        It is taken when nobody has it, when it expired (``expiresDate <= now``, which is also how a released
        lease looks) or when its holder is ``displace`` (a holder the caller found gone). Otherwise nothing is
        written. Returns the row as it stands afterwards, whoever holds it.
        """
        with self.db.transaction() as conn:
            row = conn.execute("SELECT holder, expiresDate FROM leases WHERE name = ?", (name,)).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO leases (name, holder, agent, acquiredDate, renewedDate, expiresDate) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (name, holder, agent, now, now, expires),
                )
            elif row["holder"] == holder:
                conn.execute(
                    "UPDATE leases SET renewedDate = ?, expiresDate = ? WHERE name = ?",
                    (now, max(expires, row["expiresDate"]), name),
                )
            elif row["expiresDate"] <= now or (displace is not None and row["holder"] == displace):
                conn.execute(
                    "UPDATE leases SET holder = ?, agent = ?, acquiredDate = ?, renewedDate = ?, expiresDate = ? "
                    "WHERE name = ?",
                    (holder, agent, now, now, expires, name),
                )
            taken = self.lease_row(name)
        assert taken is not None
        return taken

    def lease_ran(self, name: str, holder: str, now: str, expires: str, note: str) -> bool:
        """Record that ``holder`` ran the job ``name`` at ``now`` (with a one-line ``note``) and keep the lease
        until ``expires``. ``False`` (and nothing written) when ``holder`` no longer holds it."""
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE leases SET lastRunDate = ?, lastRunNote = ?, renewedDate = ?, "
                f"expiresDate = {self.db.dialect.greatest('expiresDate', '?')} WHERE name = ? AND holder = ?",
                (now, note, now, expires, name, holder),
            )
        return cursor.rowcount == 1

    def release_lease(self, name: str, holder: str, now: str) -> bool:
        """Give lease ``name`` up at once (it expires ``now``); the row keeps who held it and when it last ran.
        ``False`` when ``holder`` did not hold it."""
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE leases SET expiresDate = ?, renewedDate = ? WHERE name = ? AND holder = ? AND expiresDate > ?",
                (now, now, name, holder, now),
            )
        return cursor.rowcount == 1
