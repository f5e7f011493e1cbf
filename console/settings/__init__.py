"""Settings: the config file (partner profile, roles, vehicles), where files live, and TOML line finding.

Errors name ``FILE:LINE: field``."""
