"""
C{--force}'s C{portowner.free_port} against real listener processes: a process that
closes its port when signalled is shutting down cleanly and may finish; one that
keeps listening is killed.

These run outside the reactor on purpose: C{free_port} blocks, as it does before
the gateway's reactor starts.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from openclaw import portowner

# Listens, says so, and on SIGTERM either closes the port and takes a while to exit
# (a gateway draining its work) or ignores the signal (a hung process).
LISTENER = """
import signal, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
def drain(*_):
    s.close()
    time.sleep(float(sys.argv[2]))
    sys.exit(0)
signal.signal(signal.SIGTERM, drain if sys.argv[1] == "drain" else signal.SIG_IGN)
print(s.getsockname()[1], flush=True)
signal.pause()
"""


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, text: str, **fields) -> None:
        self.lines.append(text.format(**fields))

    debug = info


@pytest.fixture
def listener():
    children = []

    def start(behaviour: str, drainSeconds: float = 0.0) -> tuple[subprocess.Popen, int]:
        child = subprocess.Popen([sys.executable, "-c", LISTENER, behaviour, str(drainSeconds)], stdout=subprocess.PIPE, text=True)
        children.append(child)
        return child, int(child.stdout.readline())

    yield start
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()


def test_a_clean_stop_may_take_longer_than_the_answer_window(listener, monkeypatch):
    monkeypatch.setattr(portowner, "ANSWER_SECONDS", 0.3)
    child, port = listener("drain", drainSeconds=1.0)
    log = Log()
    portowner.free_port(port, "127.0.0.1", log, grace=30)
    assert child.wait() == 0  # exited on its own, never SIGKILLed
    assert not any("SIGKILL" in line for line in log.lines)
    assert portowner.listening_addresses(port) == []


def test_a_clean_stop_past_its_grace_is_killed(listener, monkeypatch):
    monkeypatch.setattr(portowner, "ANSWER_SECONDS", 0.3)
    child, port = listener("drain", drainSeconds=60)
    log = Log()
    portowner.free_port(port, "127.0.0.1", log, grace=0.5)
    assert child.wait() == -signal.SIGKILL
    assert f"force: escalated to SIGKILL while freeing port {port}" in log.lines


def test_a_listener_that_ignores_sigterm_is_killed(listener, monkeypatch):
    monkeypatch.setattr(portowner, "ANSWER_SECONDS", 0.3)
    child, port = listener("ignore")
    log = Log()
    portowner.free_port(port, "127.0.0.1", log, grace=30)
    assert child.wait() == -signal.SIGKILL
    assert f"force: escalated to SIGKILL while freeing port {port}" in log.lines
