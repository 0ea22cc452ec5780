"""
The channel manager: a MultiService holding one client service per channel account.
Channel modules register here as they are added; until then it has none to run.
"""

from __future__ import annotations

from typing import Any

from twisted.application.service import MultiService


class ChannelManager(MultiService):
    name = "channels"

    def healthSummary(self) -> dict[str, Any]:
        """The channel part of the C{health} snapshot, one record per running channel."""
        channels = {svc.channelId: svc.health() for svc in self}
        return {
            "channels": channels,
            "channelOrder": list(channels),
            "channelLabels": {svc.channelId: svc.label for svc in self},
        }

    def summaryLines(self) -> list[str]:
        return [svc.summary() for svc in self]
