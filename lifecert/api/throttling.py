"""Bounding refused calls (no valid token) with DRF's own throttles.

A call with a valid token is never throttled here. A refused call is counted
per client address (``API_REFUSED_RATE``) and from all addresses together
(``API_REFUSED_RATE_ALL``) in the shared cache; past either rate it gets 429
instead of 401 and no audit row (``ApiView.handle_exception``), so a flood of
bad tokens writes at most that many rows, however many addresses it comes from.
"""

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from lifecert.core.audit import client_ip, counted_address


class RefusedCallThrottle(SimpleRateThrottle):
    """Refused calls from one address."""

    scope = "api_refused"
    setting = "API_REFUSED_RATE"

    def get_rate(self) -> str:
        # Read at each call, not at import as DRF's THROTTLE_RATES are.
        rate: str = getattr(settings, self.setting)
        return rate

    def get_cache_key(self, request: Request, view: Any) -> str:
        ident = counted_address(client_ip(request)) or "-"
        return str(self.cache_format % {"scope": self.scope, "ident": ident})


class AllRefusedCallsThrottle(RefusedCallThrottle):
    """Refused calls from every address together: the audit log's bound."""

    scope = "api_refused_all"
    setting = "API_REFUSED_RATE_ALL"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return str(self.cache_format % {"scope": self.scope, "ident": "all"})


REFUSED_THROTTLES = (RefusedCallThrottle, AllRefusedCallsThrottle)
