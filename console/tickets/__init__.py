"""Tickets: what an agent does to one, the queue's filter and views, search text, and triage.

The rules live here; the store writes them and the desk authorizes them."""
