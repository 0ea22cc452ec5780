"""
Running the gateway under a service manager: systemd user/system units and launchd
LaunchAgents, per profile. Knows nothing of the gateway's internals: it renders and
reads definitions, drives C{systemctl}/C{launchctl} through one adapter
(L{manager.ServiceManager}), and finds gateways of a state dir by their pidfile and
boot records.

For C{gateway status} and C{doctor}: L{inspect}, L{extra}, L{drift}, L{repair}.
"""

from openclaw.services.inspect import drift, extra, inspect, repair

__all__ = ["inspect", "extra", "drift", "repair"]
