"""Built-in service plugins (Azure, Microsoft 365, Dynamics 365), loaded through the ``csp_console``
entry-point group like any third-party plugin."""
