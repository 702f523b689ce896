"""Anonymous throttling that reads its settings when a request comes.

DRF's AnonRateThrottle copies its rates at import and APIView its classes at class
creation, so a changed setting (a test, a reload) would be ignored; these read
`api_settings` on every request instead. Settings turn throttling off with
API_THROTTLE_RATE=off (no throttle classes).
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, BaseThrottle


class AnonThrottle(AnonRateThrottle):
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


def api_throttles() -> list[BaseThrottle]:
    """The throttles the API applies now: anonymous rate limiting when configured."""
    return [AnonThrottle()] if api_settings.DEFAULT_THROTTLE_CLASSES else []
