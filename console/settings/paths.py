"""Where the console keeps its files: the workspace, the config file and the log (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "csp-console"


def default_db_path() -> Path:
    """``--db`` or else ``CSP_CONSOLE_DB`` or else ``workspace.db`` in the user data dir."""
    env = os.environ.get("CSP_CONSOLE_DB")
    return Path(env) if env else Path(platformdirs.user_data_dir(APP)) / "workspace.db"


def default_config_path() -> Path:
    env = os.environ.get("CSP_CONSOLE_CONFIG")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP)) / "config.toml"


def log_path() -> Path:
    return Path(platformdirs.user_log_dir(APP)) / "console.log"
