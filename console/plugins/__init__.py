"""The plugin host: hook specifications, loading plugins one by one, and running their checks guarded.

What plugins import is ``console.plugin_api``; nothing here is for plugins to import."""
