"""Billing and the customer's account: invoices explained, collections, suspension for non-payment.

The desk's billing actions (``desk.py``) and the account view read and change it through the store."""
