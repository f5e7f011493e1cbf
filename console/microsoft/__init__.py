"""Microsoft's APIs over httpx: Partner Center, the Azure Support API and Graph, with tokens per API and tenant.

Also the Partner Center sync (``sync.py``) and GDAP (``gdap.py``: which customers the desk may act in)."""
