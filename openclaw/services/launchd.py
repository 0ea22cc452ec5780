"""The launchd job (LaunchAgent plist): rendered from a L{ServiceDefinition}, and read back."""

from __future__ import annotations

import plistlib
from typing import Any

from openclaw.services.definition import ServiceDefinition
from openclaw.services.identity import ServiceIdentity


def plist_dict(identity: ServiceIdentity, definition: ServiceDefinition) -> dict[str, Any]:
    job: dict[str, Any] = {
        "Label": identity.name,
        "Comment": "OpenClaw Gateway" + (f" (profile {identity.profile})" if identity.profile else ""),
        "ProgramArguments": list(definition.programArguments),
        "RunAtLoad": True,
        "KeepAlive": True,
        "ExitTimeOut": 20,
        "ProcessType": "Interactive",
        "ThrottleInterval": 10,
        "Umask": 63,
        "StandardInPath": "/dev/null",
        "StandardOutPath": identity.stdoutPath,
        "StandardErrorPath": identity.stderrPath,
        "EnvironmentVariables": dict(definition.environment),
    }
    if definition.workingDirectory:
        job["WorkingDirectory"] = definition.workingDirectory
    return job


def render_plist(identity: ServiceIdentity, definition: ServiceDefinition) -> bytes:
    return plistlib.dumps(plist_dict(identity, definition), sort_keys=False)


def parse_plist(data: bytes) -> ServiceDefinition:
    """
    ProgramArguments (or Program), EnvironmentVariables and WorkingDirectory.

    @raise ValueError: not a plist.
    """
    try:
        job = plistlib.loads(data)
    except Exception as e:  # plistlib raises several types for garbage
        raise ValueError(f"not a property list: {e}") from None
    if not isinstance(job, dict):
        raise ValueError("not a launchd job")
    args = job.get("ProgramArguments") or ([job["Program"]] if job.get("Program") else [])
    env = job.get("EnvironmentVariables") or {}
    return ServiceDefinition(
        tuple(str(a) for a in args), {str(k): str(v) for k, v in env.items()}, job.get("WorkingDirectory")
    )
