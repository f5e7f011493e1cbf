"""Where the Secure Application Model's refresh token lives, outside the workspace: a file only the desk's
service account may read (written atomically, 0600), or a command that prints it from a vault (and, optionally,
one that stores a rotated one). The token itself is never logged.

Identity platform refresh tokens may be replaced on each redemption ("Microsoft identity platform refresh
tokens"): :class:`console.microsoft.msal_credentials.MsalCredentials` writes the new one back here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from console.microsoft.credentials import MissingToken

log = logging.getLogger("csp_console")

REFRESH_TOKEN_ENV = "CSP_CONSOLE_REFRESH_TOKEN_FILE"


class InsecureTokenFile(MissingToken):
    """The refresh-token file may be read by others than its owner."""


class RefreshTokenStore:
    """Reads (and, after a rotation, writes) the refresh token. The token itself is never logged."""

    def describe(self) -> str:
        raise NotImplementedError

    def read(self) -> str:
        raise NotImplementedError

    def write(self, token: str) -> None:
        raise NotImplementedError

    def forget(self) -> bool:
        raise NotImplementedError

    def exists(self) -> bool:
        raise NotImplementedError


class FileTokenStore(RefreshTokenStore):
    """A file only its owner may read or write (0600); written atomically (a temporary file in the same folder,
    fsynced, renamed over it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"the refresh-token file {self.path}"

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> str:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            raise MissingToken(
                f"No refresh token at {self.path}: a partner admin runs `csp-console microsoft login` once."
            ) from None
        except OSError as exc:
            raise MissingToken(f"Cannot read the refresh-token file {self.path} ({exc.strerror}).") from None
        if not stat.S_ISREG(info.st_mode):
            raise MissingToken(f"The refresh-token file {self.path} is not a regular file.")
        if info.st_mode & 0o077:
            raise InsecureTokenFile(
                f"The refresh-token file {self.path} can be read by others (mode {stat.S_IMODE(info.st_mode):04o}): "
                f"it is the partner's standing access to every customer. Make it private to the desk's service "
                f"account (chmod 600 {shlex.quote(str(self.path))}) or run `csp-console microsoft login` again."
            )
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise InsecureTokenFile(
                f"The refresh-token file {self.path} belongs to another account (uid {info.st_uid}): it must be the "
                "desk's service account's own."
            )
        try:
            value = self.path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise MissingToken(f"Cannot read the refresh-token file {self.path} ({exc}).") from None
        if not value or any(c.isspace() for c in value):
            raise MissingToken(
                f"The refresh-token file {self.path} holds no refresh token: run `csp-console microsoft login`."
            )
        return value

    def write(self, token: str) -> None:
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=folder)  # mkstemp creates it 0600
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(token + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # the rename itself durable
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def forget(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True


class CommandTokenStore(RefreshTokenStore):
    """A command prints the token (a vault's CLI); an optional second command stores a rotated one, reading it
    on its standard input. Without one, a rotated token lives in this process's memory only."""

    def __init__(self, read_command: str, store_command: str = "", timeout: float = 60.0) -> None:
        self.read_command = read_command
        self.store_command = store_command
        self.timeout = timeout

    def describe(self) -> str:
        return "the refresh-token command ([microsoft] refresh_token_command)"

    def exists(self) -> bool:
        return True

    def _run(self, command: str, what: str, stdin: str | None = None) -> str:
        try:
            done = subprocess.run(
                shlex.split(command), input=stdin, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise MissingToken(f"The {what} could not run ({type(exc).__name__}).") from None
        if done.returncode != 0:
            raise MissingToken(f"The {what} failed with exit status {done.returncode}.")
        return done.stdout.strip()

    def read(self) -> str:
        value = self._run(self.read_command, "refresh-token command ([microsoft] refresh_token_command)")
        if not value or any(c.isspace() for c in value):
            raise MissingToken(
                "The refresh-token command ([microsoft] refresh_token_command) printed no refresh token: store the "
                "one `csp-console microsoft login` obtained in the vault."
            )
        return value

    def write(self, token: str) -> None:
        if not self.store_command:
            log.warning("microsoft: a rotated refresh token is kept in memory only (no refresh_token_store_command)")
            return
        self._run(self.store_command, "refresh-token store command ([microsoft] refresh_token_store_command)", token)

    def forget(self) -> bool:
        return False


def token_store(settings: Any, env: Mapping[str, str] = os.environ) -> RefreshTokenStore | None:
    """Where the config keeps the refresh token (``CSP_CONSOLE_REFRESH_TOKEN_FILE`` wins); ``None``: nowhere."""
    path = env.get(REFRESH_TOKEN_ENV) or getattr(settings, "refresh_token_file", "") or ""
    if path.strip():
        return FileTokenStore(Path(path.strip()).expanduser())
    command = (getattr(settings, "refresh_token_command", "") or "").strip()
    if command:
        return CommandTokenStore(command, (getattr(settings, "refresh_token_store_command", "") or "").strip())
    return None
