"""Failures a person can act on: the console shows them as a notice with their message, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Base of failures whose message says what happened and what to do."""

    title = "Not done"
