"""
The one interface a service implements to take a new settings snapshot without a
restart. The reload controller hands every hot-reloadable change to the consumers
that claim its section; a consumer that cannot apply it asks for a restart instead.
"""

from __future__ import annotations

from zope.interface import Attribute, Interface


class ISettingsConsumer(Interface):
    sections = Attribute(
        "frozenset of the settings sections (see openclaw.config.diff) this consumer applies hot."
    )

    def applySettings(settings, changedSections):
        """
        Use C{settings} (a new L{openclaw.settings.GatewaySettings}) from now
        on. C{changedSections} (a frozenset, possibly empty) names the sections that
        differ from the running snapshot. Return False when a changed section of this
        consumer can only take effect through a restart.
        """
