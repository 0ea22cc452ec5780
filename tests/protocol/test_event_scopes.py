"""Who receives which broadcast event (spec/events.md §2): scope-filtered, fail closed."""

from __future__ import annotations

import pytest

from openclaw.protocol.scopes import may_receive


@pytest.mark.parametrize(
    "granted, event, delivered",
    [
        ([], "tick", True),
        ([], "health", True),
        ([], "presence", False),
        (["operator.read"], "presence", True),
        (["operator.write"], "chat", True),  # write implies read
        (["operator.read"], "device.pair.requested", False),
        (["operator.pairing"], "device.pair.requested", True),
        (["operator.pairing"], "device.pair.resolved", True),
        (["operator.pairing"], "presence", False),
        (["operator.admin"], "device.pair.resolved", True),  # admin satisfies everything
        (["operator.approvals"], "exec.approval.requested", True),
        (["operator.read"], "exec.approval.requested", False),
        (["operator.questions"], "question.requested", True),
        (["operator.write"], "talk.mode", True),  # write implies talk
        (["operator.read"], "terminal.data", False),
        (["operator.admin"], "no.such.event", False),
    ],
)
def test_event_delivery(granted, event, delivered):
    assert may_receive(granted, event) is delivered
