"""
Who listens on a TCP port (Linux C{/proc}), and freeing a port for C{--force}.

C{free_port} waits with blocking pauses: it runs before the gateway's reactor starts,
when there is nothing else to serve. A gateway that was asked to stop closes its
port first and then drains its work, so C{--force} lets such a clean stop finish
(within a grace period) instead of killing it half-way.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from dataclasses import dataclass

from openclaw.procs import alive, command_line

_LISTEN = "0A"


@dataclass(frozen=True)
class Listener:
    pid: int
    command: str


def _address(hexAddress: str) -> str:
    """C{0100007F:4B65} (as in C{/proc/net/tcp[6]}) → C{127.0.0.1:19301}, C{[::1]:19301}."""
    host, port = hexAddress.rsplit(":", 1)
    raw = bytes.fromhex(host)
    # The kernel prints each 32-bit word in host (little-endian) byte order.
    packed = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(packed) == 4:
        return f"{socket.inet_ntop(socket.AF_INET, packed)}:{int(port, 16)}"
    return f"[{socket.inet_ntop(socket.AF_INET6, packed)}]:{int(port, 16)}"


def _listening_sockets(port: int) -> dict[str, str]:
    """inode → local address of every listening TCP socket on C{port}."""
    sockets = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                sockets[inode] = _address(local)
    return sockets


def listening_addresses(port: int) -> list[str]:
    """The local addresses listening on C{port}, e.g. C{["127.0.0.1:18789", "[::1]:18789"]}."""
    return sorted(set(_listening_sockets(port).values()))


def listeners(port: int) -> list[Listener]:
    """Processes holding a listening socket on C{port} (those this user may inspect)."""
    inodes = _listening_sockets(port)
    if not inodes:
        return []
    found = []
    wanted = {f"socket:[{i}]" for i in inodes}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{entry}/fd/{fd}") in wanted:
                    found.append(Listener(int(entry), command_line(int(entry))))
                    break
            except OSError:
                continue
    return found


def describe(port: int) -> list[str]:
    return [f"Port {port} is held by pid {l.pid}: {l.command}" for l in listeners(port)]


def _bindable(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


#: How long a signalled listener may keep listening before it counts as hung (SIGKILL).
ANSWER_SECONDS = 5.0
#: How long a SIGKILLed process may take to be gone.
KILL_SECONDS = 3.0


def free_port(port: int, host: str, log, grace: float = ANSWER_SECONDS) -> None:
    """
    SIGTERM the processes listening on C{port} (never ourselves). One that closes
    its listener within L{ANSWER_SECONDS} is shutting down cleanly (a gateway
    drains its in-flight work) and gets until C{grace} seconds to exit; one still
    listening after that, or still alive after C{grace}, gets SIGKILL. Then wait
    up to 3 s for the port to become bindable.

    @raise OSError: when the port could not be freed.
    """
    pause = threading.Event().wait
    targets = [l for l in listeners(port) if l.pid != os.getpid()]
    if not targets:
        log.debug("force: no listeners on port {port}", port=port)
    for target in targets:
        os.kill(target.pid, signal.SIGTERM)
        log.info("force: killed pid {pid} ({cmd}) on port {port}", pid=target.pid, cmd=target.command, port=port)
    started = time.monotonic()
    killedAt = None
    while any(alive(t.pid) for t in targets):
        elapsed = time.monotonic() - started
        if killedAt is None:
            hung = elapsed >= ANSWER_SECONDS and bool(_listening_sockets(port))
            if hung or elapsed >= grace:
                for t in targets:
                    if alive(t.pid):
                        os.kill(t.pid, signal.SIGKILL)
                killedAt = elapsed
                log.info("force: escalated to SIGKILL while freeing port {port}", port=port)
        elif elapsed - killedAt >= KILL_SECONDS:
            raise OSError(f"pid(s) {', '.join(str(t.pid) for t in targets)} did not exit")
        pause(0.1)
    if targets:
        log.info("force: waited {ms}ms for port {port} to free", ms=int((time.monotonic() - started) * 1000), port=port)
    waited = time.monotonic()
    while not _bindable(host, port):
        if time.monotonic() - waited >= 3.0:
            raise OSError(f"port {port} is still not bindable")
        pause(0.15)
    if targets:
        log.info(
            "force: waited {ms}ms for port {port} to become bindable",
            ms=int((time.monotonic() - waited) * 1000), port=port,
        )
