"""
The Control UI's chat screen asks for features this gateway does not run (approvals,
questions, cron, progress cards, companion questions, voice, updates). Each answers the way the
reference gateway does when the feature holds nothing: an empty list or a null card,
with the scope and params checks of the protocol (the schema checks every answer).
"""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError

KEY = "agent:main:main"

#: (method, params as the 2026.9.6 Control UI sends them, answer)
ANSWERS = [
    ("exec.approval.list", {}, []),
    ("plugin.approval.list", {}, []),
    ("openclaw.approval.list", {}, []),
    ("question.list", {}, {"questions": []}),
    (
        "cron.list",
        {"agentId": "main", "includeDisabled": True, "includeDeliveryPreviews": False, "compact": True, "limit": 50,
         "offset": 0, "enabled": "all", "sortBy": "nextRunAtMs", "sortDir": "asc"},
        {"jobs": [], "total": 0, "offset": 0, "limit": 50, "hasMore": False, "nextOffset": None},
    ),
    ("cron.status", {}, {"enabled": False, "jobs": 0, "nextWakeAtMs": None}),
    ("progressCard.get", {"sessionKey": KEY}, {"card": None}),
    ("sessions.companion.state", {"sessionKey": KEY, "agentId": "main"}, {"exchanges": []}),
    (
        "talk.catalog",
        {},
        {"modes": [], "transports": [], "brains": [], "speech": {"ready": False, "providers": []},
         "transcription": {"ready": False, "providers": []}, "realtime": {"ready": False, "providers": []}},
    ),
    ("update.status", {}, {"sentinel": None, "updateAvailable": None}),
]


@pytest_twisted.ensureDeferred
async def test_each_answers_as_the_reference_does_with_the_feature_empty(gateway):
    client = await gateway.connect(scopes=["operator.admin", "operator.approvals", "operator.questions"])
    for method, params, answer in ANSWERS:
        assert await client.call(method, params) == answer, method


@pytest_twisted.ensureDeferred
async def test_scopes_and_params_are_checked(gateway):
    reader = await gateway.connect(scopes=["operator.read"])
    for method in ("exec.approval.list", "question.list", "update.status"):
        with pytest.raises(GatewayCallError) as caught:
            await reader.call(method, {})
        assert caught.value.code == "FORBIDDEN", method
    for method, params in [("progressCard.get", {}), ("cron.list", {"limit": 0}), ("sessions.companion.state", {"key": KEY})]:
        with pytest.raises(GatewayCallError) as caught:
            await reader.call(method, params)
        assert caught.value.code == "INVALID_REQUEST" and caught.value.message.startswith(f"invalid {method} params"), method
