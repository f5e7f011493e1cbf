"""The plugin host (hook specifications, loading plugins one by one, running their checks guarded) and the parts of
the public plugin API. Plugins import those parts only through ``console.plugin_api``, never from here."""
