"""Pure handshake and scope rules, without sockets."""

from __future__ import annotations

import pytest

from openclaw.protocol import handshake, scopes
from openclaw.protocol.handshake import Rejection


def _params(low=4, high=4, mode="cli", clientId="cli", role=None, scopesAsked=("operator.read",)):
    params = {
        "minProtocol": low, "maxProtocol": high,
        "client": {"id": clientId, "version": "1", "platform": "linux", "mode": mode},
        "scopes": list(scopesAsked),
    }
    if role:
        params["role"] = role
    return params


@pytest.mark.parametrize(
    "low, high, mode, role, ok",
    [
        (4, 4, "cli", None, True),
        (1, 9, "cli", None, True),
        (3, 4, "probe", None, True),
        (3, 3, "probe", None, True),
        (2, 2, "probe", None, False),
        (3, 3, "cli", None, False),
        (5, 5, "cli", None, False),
        (3, 3, "node", "node", True),  # the legacy node window
        (3, 3, "node", "operator", False),
    ],
)
def test_protocol_window(low, high, mode, role, ok):
    params = _params(low, high, mode, role=role)
    if ok:
        assert handshake.negotiate(params) == 4
    else:
        with pytest.raises(Rejection) as caught:
            handshake.negotiate(params)
        assert caught.value.closeCode == 1002


def test_role_defaults_to_operator():
    assert handshake.role_of(_params()) == "operator"
    assert handshake.role_of(_params(role="node")) == "node"


@pytest.mark.parametrize(
    "clientId, mode, local, expected",
    [
        ("cli", "cli", True, ["operator.read", "operator.admin"]),
        ("gateway-client", "backend", True, ["operator.read", "operator.admin"]),
        ("cli", "cli", False, []),
        ("cli", "probe", True, []),
        ("test", "test", True, []),
    ],
)
def test_device_less_scopes(clientId, mode, local, expected):
    params = _params(mode=mode, clientId=clientId, scopesAsked=("operator.read", "operator.admin", "operator.read"))
    assert handshake.granted_scopes(params, local) == expected


@pytest.mark.parametrize(
    "granted, required, ok",
    [
        (["operator.admin"], "operator.pairing", True),
        (["operator.write"], "operator.read", True),
        (["operator.write"], "operator.talk", True),
        (["operator.read"], "operator.write", False),
        (["operator.pairing"], "operator.read", False),
        ([], scopes.NONE, True),
    ],
)
def test_scope_satisfaction(granted, required, ok):
    assert scopes.satisfies(granted, required) is ok


def test_events_fail_closed():
    assert scopes.may_receive([], "tick")
    assert not scopes.may_receive([], "presence")
    assert scopes.may_receive(["operator.read"], "presence")
    assert not scopes.may_receive(["operator.admin"], "no.such.event")


@pytest.mark.parametrize(
    "clientId, mode, local, hint",
    [
        ("cli", "cli", True, "use this gateway's gateway.auth.token or pair the device"),
        ("cli", "cli", False, "set gateway.remote.token to match gateway.auth.token"),
        ("openclaw-control-ui", "webchat", True, "open the dashboard URL and paste the token in Control UI settings"),
        ("cli", "probe", True, "provide gateway auth token"),
    ],
)
def test_token_mismatch_hints(clientId, mode, local, hint):
    rejection = handshake.secret_failure("token", "mismatch", {"id": clientId, "mode": mode}, local)
    assert rejection.error.message == f"unauthorized: gateway token mismatch ({hint})"
    assert rejection.closeReason == rejection.error.message


def test_password_missing_details():
    rejection = handshake.secret_failure("password", "missing", {"id": "cli", "mode": "cli"}, True)
    assert rejection.error.message == "unauthorized: gateway password missing (use this gateway's gateway.auth.password or pair the device)"
    assert rejection.error.details == {
        "code": "AUTH_PASSWORD_MISSING", "authReason": "password_missing",
        "canRetryWithDeviceToken": False, "recommendedNextStep": "update_auth_configuration",
    }
