"""The optional copy of every audit row outside the workspace: syslog (journald reads the same socket), when the
desk's config asks for it (``[audit] syslog = "/dev/log"``). Someone who can rewrite the workspace and recompute
its hash chain cannot reach what syslog already holds, so a chain that verifies can still be compared with it.

Each row, once its transaction committed, becomes one message (RFC 3164 through Python's
``logging.handlers.SysLogHandler``, facility ``authpriv``, tag ``csp-console``): ``audit`` and the row as JSON
(ASCII: a control character in a note cannot break the line or the terminal reading the log), with its hash."""

from __future__ import annotations

import json
import logging
import logging.handlers
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.settings.config import ConfigError

if TYPE_CHECKING:
    from console.settings.config import Config
    from console.store import Workspace

log = logging.getLogger(__name__)


class MirrorError(OSError):
    """The syslog socket the config names cannot be reached."""


class _Mirror(logging.handlers.SysLogHandler):
    """A handler that never raises into the action that wrote the row, and says a failure once in the log."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        if not self.failed:
            self.failed = True
            log.error("the audit mirror to syslog failed; rows are no longer copied until the console restarts")


def _reach(address: str) -> None:
    """Connect to the socket at ``address`` as the handler will (datagram, then stream); :class:`MirrorError`
    when neither works."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        probe = socket.socket(socket.AF_UNIX, kind)
        try:
            probe.connect(address)
            return
        except OSError as exc:
            error = exc
        finally:
            probe.close()
    raise MirrorError(f"cannot reach the syslog socket {address} ({error.strerror or error})")


def syslog_mirror(address: str) -> Callable[[dict[str, Any]], None]:
    """A mirror writing to the syslog socket at ``address``; :class:`MirrorError` when it cannot be reached."""
    _reach(address)  # (the handler itself, as C's openlog(3), ignores a socket it cannot reach)
    handler = _Mirror(address=address, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV)
    handler.setFormatter(logging.Formatter("csp-console: %(message)s"))
    handler.ident = ""
    logger = logging.getLogger(f"{__name__}.{address}")
    logger.propagate = False  # only syslog: the console's own log has the action already
    logger.setLevel(logging.INFO)
    for old in logger.handlers[:]:
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)

    def mirror(row: dict[str, Any]) -> None:
        logger.info("audit %s", json.dumps(row, ensure_ascii=True, separators=(",", ":"), default=str))

    return mirror


def attach(ws: Workspace, config: Config) -> Workspace:
    """``ws`` with the mirror ``config`` asks for (``[audit] syslog``), once per workspace handle; a socket that
    cannot be reached refuses the desk (:class:`ConfigError` naming the file and key): a desk that asked for a
    copy of its audit elsewhere does not work without one."""
    if config.audit_syslog and ws.mirror is None:
        try:
            ws.mirror = syslog_mirror(config.audit_syslog)
        except MirrorError as exc:
            raise ConfigError(f"{config.path or 'the config'}: audit.syslog: {exc}") from None
    return ws
