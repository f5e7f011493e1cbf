"""Support offers: what the partner states to each customer (coverage, hours, contact, price).

Edited through the desk; stated as Markdown or HTML to send to the customer."""
