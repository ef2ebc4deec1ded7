"""The country of a click's address, from a local MaxMind-format database (``SHARECAST_GEOIP_DB``).

Optional: none is bundled (read with ``maxminddb``, a requirement). Only the click writer uses it; the redirect merely carries the
address when a database is configured, and nothing stores the address.
"""
from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from functools import lru_cache

log = logging.getLogger(__name__)

CountryOf = Callable[[str], str]


def country_from_record(record) -> str:
    """Pure: the ISO country code a GeoIP record gives (a country database's ``country``, else the
    ``registered_country``), upper case; "" when it gives none."""
    if not isinstance(record, dict):
        return ""
    for key in ("country", "registered_country"):
        code = (record.get(key) or {}).get("iso_code") if isinstance(record.get(key), dict) else None
        if isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha():
            return code.upper()
    return ""


def open_lookup(path: str) -> CountryOf | None:
    """A function from an address to its country code ("" when unknown or not an address), or None when
    no database is configured or it cannot be read (logged: clicks are then written without a country)."""
    if not path:
        return None
    try:
        import maxminddb  # optional dependency: see the README's configuration section
    except ImportError:
        log.error("SHARECAST_GEOIP_DB is set but the maxminddb package is not installed; clicks get no country")
        return None
    try:
        reader = maxminddb.open_database(path)
    except (OSError, ValueError, RuntimeError) as exc:  # maxminddb.InvalidDatabaseError is a RuntimeError
        log.error("cannot read the GeoIP database %s (%s); clicks get no country", path, exc)
        return None

    @lru_cache(maxsize=65536)
    def country_of(address: str) -> str:
        try:
            return country_from_record(reader.get(ipaddress.ip_address(address)))
        except (ValueError, RuntimeError):  # not an address, or a damaged database
            return ""

    return country_of
