"""Microsoft's APIs: Partner Center and the Azure Support API, over httpx, with retries and clear errors."""
