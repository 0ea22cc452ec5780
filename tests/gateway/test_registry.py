"""The registry's checks before a handler runs: scope first, then params."""

from __future__ import annotations

import pytest

from openclaw.gateway.methods import MethodRegistry, closed
from openclaw.protocol import scopes
from openclaw.protocol.errors import GatewayError


class _Caller:
    scopes = (scopes.READ,)


@pytest.fixture
def registry():
    registry = MethodRegistry()
    registry.add("no.params", scopes.READ, lambda params, ctx: None, closed())
    registry.add("needs.x", scopes.READ, lambda params, ctx: None, {"type": "object", "required": ["x"]})
    registry.add("admin.only", scopes.ADMIN, lambda params, ctx: None, closed())
    return registry


def _refusal(registry, name, params) -> str:
    with pytest.raises(GatewayError) as caught:
        registry.resolve(name, params, _Caller())
    return caught.value.shape()["message"]


def test_empty_params_of_a_method_without_params(registry):
    assert registry.resolve("no.params", {}, _Caller()).scope == scopes.READ


def test_empty_params_where_some_are_required(registry):
    assert "x" in _refusal(registry, "needs.x", {})


@pytest.mark.parametrize("params", [[], "", 0, {"extra": 1}])
def test_other_empty_or_extra_params_are_still_checked(registry, params):
    _refusal(registry, "no.params", params)


def test_the_scope_comes_before_the_params(registry):
    assert "operator.admin" in _refusal(registry, "admin.only", {"extra": 1})
