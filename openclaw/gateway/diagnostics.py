"""
The diagnostic stability recorder behind C{diagnostics.stability}: a bounded ring
of the notable things the gateway did (today: outbound payloads refused for a slow
consumer), numbered by C{seq}, oldest dropped first.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timezone
from typing import Any

from twisted.internet.interfaces import IReactorTime

CAPACITY = 1000
DEFAULT_LIMIT = 50


class StabilityRecorder:
    def __init__(self, clock: IReactorTime, capacity: int = CAPACITY) -> None:
        self._clock = clock
        self.capacity = capacity
        self._records: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._seq = 0
        self.dropped = 0

    def record(self, type: str, **fields: Any) -> None:
        if len(self._records) == self.capacity:
            self.dropped += 1
        self._seq += 1
        self._records.append({"seq": self._seq, "ts": int(self._clock.seconds() * 1000), "type": type, **fields})

    def snapshot(self, type: str | None = None, limit: int = DEFAULT_LIMIT, sinceSeq: int | None = None) -> dict[str, Any]:
        """The newest C{limit} records matching C{type} and C{sinceSeq}, with a count per type."""
        matching = [
            r for r in self._records
            if (type is None or r["type"] == type) and (sinceSeq is None or r["seq"] > sinceSeq)
        ]
        byType: dict[str, int] = {}
        for r in matching:
            byType[r["type"]] = byType.get(r["type"], 0) + 1
        result: dict[str, Any] = {
            "generatedAt": datetime.fromtimestamp(self._clock.seconds(), timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "capacity": self.capacity,
            "count": len(matching),
            "dropped": self.dropped,
            "events": matching[-limit:],
            "summary": {"byType": byType},
        }
        if matching:
            result.update(firstSeq=matching[0]["seq"], lastSeq=matching[-1]["seq"])
        return result
