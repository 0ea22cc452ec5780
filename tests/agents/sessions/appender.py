"""
A child process for the durability test: appends to one session's transcript for
ever, printing C{<seq> <id>} for each entry once its append has fired (committed).
Usage: C{python appender.py <stateDir>}.
"""

import sys

from twisted.internet import defer, task

from openclaw.agents.sessions.stores import SessionStores


async def append_forever(reactor, stateDir: str) -> None:
    stores = SessionStores(stateDir, reactor)
    stores.startService()
    store = stores.store("main")
    n = 0
    while True:
        n += 1
        entry = await store.append("agent:main:main", {"role": "user", "content": [{"type": "text", "text": f"m{n}"}]})
        sys.stdout.write(f"{entry.seq} {entry.id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    task.react(lambda reactor: defer.ensureDeferred(append_forever(reactor, sys.argv[1])))
