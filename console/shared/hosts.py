"""Which hosts are this machine: where the project allows an unencrypted connection (the Microsoft sandbox over
``http://``, the test mail servers over plain IMAP and SMTP) and nowhere else."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: ``localhost``, 127.0.0.0/8 or ::1, bracketed or not (RFC 6761 section 6.3,
    RFC 5735, RFC 4291 section 2.5.3); no name is looked up."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
