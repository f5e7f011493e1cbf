"""The contact values of an Azure support ticket, as Microsoft defines them (ContactProfile in
Azure/azure-rest-api-specs, Microsoft.Support 2024-04-01 support.json):

- ``country``: "the ISO 3166-1 alpha-3 code". Codes come from ``pycountry`` (the Debian iso-codes
  project's ISO 3166-1 table), so every alpha-2 code maps to its alpha-3 one; there is no fallback.
- ``preferredTimeZone``: "the name of the time zone from Microsoft Time Zone Index Values", i.e. a Windows
  time-zone id ("Tokyo Standard Time"). The list is Unicode CLDR's windowsZones mapping, as ``tzlocal``
  ships it (``tzlocal.windows_tz.win_tz``, generated from CLDR's windowsZones.xml).
"""

from __future__ import annotations

from functools import cache

import pycountry
from tzlocal.windows_tz import win_tz


@cache
def windows_time_zones() -> frozenset[str]:
    return frozenset(win_tz)


def is_windows_time_zone(name: str) -> bool:
    return name in windows_time_zones()


def country_alpha3(code: str | None) -> str | None:
    """``JP`` -> ``JPN``, ``jpn`` -> ``JPN``; ``None`` for anything that is not an ISO 3166-1 country."""
    code = (code or "").strip()
    if len(code) == 2:
        found = pycountry.countries.get(alpha_2=code.upper())
    elif len(code) == 3:
        found = pycountry.countries.get(alpha_3=code.upper())
    else:
        return None
    return found.alpha_3 if found is not None else None
