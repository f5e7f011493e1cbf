"""Notices to agents: what happened on their tickets and customers while they looked elsewhere, and which
tickets someone else changed since they last opened them."""
