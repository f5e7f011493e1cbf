"""Escalating to Microsoft: which vehicles the partner may use, the case a plugin builds, the outbox.

The courier delivers the outbox exactly once and brings Microsoft's answers back."""
