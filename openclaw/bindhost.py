"""Which addresses a bind mode listens on."""

from __future__ import annotations

import fcntl
import ipaddress
import os
import socket
import struct
from functools import lru_cache

_SIOCGIFADDR = 0x8915
_TAILNET = ipaddress.ip_network("100.64.0.0/10")


@lru_cache(maxsize=1024)  # asked for every connection, with few distinct peers
def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


def ipv6_available() -> bool:
    """Whether C{::1} can be bound here (best effort, as OpenClaw does)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def in_container() -> bool:
    for marker in ("/.dockerenv", "/run/.containerenv", "/var/run/.containerenv"):
        if os.path.exists(marker):
            return True
    if os.environ.get("FLY_APP_NAME"):
        return True
    try:
        with open("/proc/1/cgroup", encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return False
    return any(word in text for word in ("docker", "kubepods", "lxc"))


def interface_ipv4() -> list[str]:
    """The IPv4 address of every interface (Linux ioctl; empty elsewhere)."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(s.fileno(), _SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue
            found.append(socket.inet_ntoa(packed[20:24]))
    return found


def hosts_for(mode: str, customHost: str | None = None) -> tuple[str, ...]:
    """
    The listen addresses of a bind mode: the first is the primary one (named in URLs
    and messages); the rest are best-effort companions.

    @raise ValueError: for C{custom} without a valid IPv4 host (the config
        validation reports it first).
    """
    if mode == "loopback":
        return ("127.0.0.1", "::1") if ipv6_available() else ("127.0.0.1",)
    if mode == "lan":
        return ("0.0.0.0",)
    if mode == "auto":
        return ("0.0.0.0",) if in_container() else ("127.0.0.1",)
    if mode == "tailnet":
        tailnet = [a for a in interface_ipv4() if ipaddress.ip_address(a) in _TAILNET]
        return (tailnet[0], "127.0.0.1") if tailnet else ("127.0.0.1",)
    if mode == "custom":
        ipaddress.IPv4Address(customHost or "")
        if customHost in ("127.0.0.1", "0.0.0.0"):
            return (customHost,)
        return (customHost, "127.0.0.1")
    raise ValueError(mode)
