"""The file log (`logging.file`) of a real gateway run: OpenClaw's JSON lines, no secrets."""

from __future__ import annotations

import json
import re

import pytest
import pytest_twisted

from openclaw.cli.client import ConnectRejected
from tests.conftest import TOKEN

WRONG = "wrong-token-" + "9" * 24


@pytest_twisted.ensureDeferred
async def test_file_log_records_and_no_secret(launcher):
    gw = launcher.install()
    gw.local()
    child = launcher.openclaw(gw, "gateway", "--port", "0")
    port = await launcher.listening(child)
    with pytest.raises(ConnectRejected):
        await launcher.connect(port, token=WRONG)
    client = await launcher.connect(port, token=TOKEN)
    await client.call("health")
    assert await launcher.stop(child) == 0, child.describe()

    text = gw.log_text()
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]
    for record in records:
        assert {"time", "_meta", "message"} <= set(record), record
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", record["time"]), record
        assert record["_meta"]["logLevelName"] in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
        assert isinstance(json.loads(record["_meta"]["name"])["subsystem"], str)

    def find(pattern: str) -> dict:
        hits = [r for r in records if re.search(pattern, r["message"])]
        assert len(hits) == 1, (pattern, [r["message"] for r in records])
        return hits[0]

    listening = find(rf"^listening on ws://127\.0\.0\.1:{port} \(PID {child.pid}\)$")
    assert listening["_meta"]["logLevelName"] == "INFO"
    assert json.loads(listening["_meta"]["name"]) == {"subsystem": "gateway"}
    assert listening["_meta"]["name"] == '{"subsystem":"gateway"}'

    refused = find(r"^unauthorized conn=")
    assert refused["_meta"]["logLevelName"] == "WARN"
    assert json.loads(refused["_meta"]["name"]) == {"subsystem": "gateway/ws"}
    assert "reason=token_mismatch" in refused["message"]

    stopping = find(r"^received SIGTERM; shutting down$")
    assert json.loads(stopping["_meta"]["name"]) == {"subsystem": "gateway"}
    assert records[-1]["message"] == "gateway stopped"

    assert TOKEN not in text
    assert TOKEN not in child.stdout + child.stderr
    assert WRONG not in text
