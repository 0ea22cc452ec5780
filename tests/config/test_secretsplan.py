"""The secrets plan: every validation rule, with the exact text the operator sees."""

from __future__ import annotations

import copy
import json
import os

import pytest

from openclaw.config.secrets import CREDENTIAL_SURFACE
from openclaw.config.secretsplan import (
    CONFIG,
    MAX_PLAN_BYTES,
    TARGET_TYPES,
    PlanError,
    parse_plan,
    read_plan,
    target_type,
)

ENV_REF = {"source": "env", "provider": "default", "id": "OPENAI_API_KEY"}
TARGET = {
    "type": "models.providers.apiKey",
    "path": "models.providers.openai.apiKey",
    "pathSegments": ["models", "providers", "openai", "apiKey"],
    "providerId": "openai",
    "ref": ENV_REF,
}
PLAN = {"version": 1, "protocolVersion": 1, "targets": [TARGET]}


def _plan(**changes):
    plan = copy.deepcopy(PLAN)
    plan.update(changes)
    return plan


def _target(**changes):
    target = copy.deepcopy(TARGET)
    for key, value in changes.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return _plan(targets=[target])


def _refused(document) -> str:
    with pytest.raises(PlanError) as refused:
        parse_plan(document)
    return str(refused.value)


def test_a_valid_plan():
    plan = parse_plan(
        _plan(
            providerUpserts={"vault": {"source": "file", "path": "~/.openclaw/secrets.json"}},
            providerDeletes=["old"],
            scrubLegacyAuthJson=True,
        )
    )
    (target,) = plan.targets
    assert target.type.name == "models.providers.apiKey" and target.providerId == "openai"
    assert target.ref.label == "env:default:OPENAI_API_KEY"
    assert plan.providerDeletes == ("old",) and plan.scrubEnv and plan.scrubAuthProfilesForProviderTargets
    assert plan.scrubLegacyAuthJson and not plan.usesExec
    assert parse_plan(plan.document()) == plan  # what configure writes reads back the same


@pytest.mark.parametrize(
    "alias, path",
    [
        ("models.providers.*.apiKey", "models.providers.local.apiKey"),
        ("skills.entries.*.apiKey", "skills.entries.search.apiKey"),
        ("channels.googlechat.accounts.*.serviceAccount", "channels.googlechat.accounts.work.serviceAccount"),
    ],
)
def test_type_aliases(alias, path):
    plan = parse_plan(_plan(targets=[{"type": alias, "path": path, "ref": ENV_REF}]))
    assert plan.targets[0].type is target_type(alias)
    assert plan.targets[0].type.name == alias.replace(".*", "")


def test_every_config_type_lies_on_the_credential_surface():
    surface = {tuple(p.split(".")) for p in CREDENTIAL_SURFACE}
    for kind in TARGET_TYPES:
        if kind.store == CONFIG:
            assert any(
                len(s) == len(kind.pattern) and all(a == "*" or a == b for a, b in zip(s, kind.pattern)) for s in surface
            ), kind.name


def test_auth_profile_targets():
    ref = {"source": "file", "provider": "vault", "id": "/openai"}
    plan = parse_plan(
        _plan(targets=[{"type": "auth-profiles.api_key.key", "path": "profiles.openai:default.key", "agentId": "main",
                        "authProfileProvider": "openai", "ref": ref}])
    )
    assert plan.targets[0].agentId == "main" and plan.targets[0].label == "profiles.openai:default.key (agent main)"


@pytest.mark.parametrize(
    "document, message",
    [
        ([], "Invalid secrets plan: expected a JSON object"),
        (_plan(extra=1), 'Invalid secrets plan: unknown field "extra"'),
        (_plan(version=2), "Invalid secrets plan: version must be 1"),
        (_plan(version=True), "Invalid secrets plan: version must be 1"),
        ({"protocolVersion": 1, "targets": []}, "Invalid secrets plan: version must be 1"),
        (_plan(protocolVersion="1"), "Invalid secrets plan: protocolVersion must be 1"),
        (_plan(targets={}), "Invalid secrets plan: targets must be an array"),
        (_plan(targets=[TARGET, TARGET]), "Invalid secrets plan: duplicate target models.providers.openai.apiKey"),
        (_plan(scrubEnv="yes"), "Invalid secrets plan: scrubEnv must be true or false"),
        (_plan(scrubAuthProfilesForProviderTargets=1), "Invalid secrets plan: scrubAuthProfilesForProviderTargets must be true or false"),
        (_plan(scrubLegacyAuthJson=None), "Invalid secrets plan: scrubLegacyAuthJson must be true or false"),
        (_plan(providerUpserts=[]), "Invalid secrets plan: providerUpserts must be an object"),
        (_plan(providerUpserts={"Vault": {"source": "env"}}),
         'Invalid providerUpserts entry "Vault": the alias must match [a-z][a-z0-9_-]{0,63}'),
        (_plan(providerUpserts={"v": {"source": "store"}}), 'Invalid providerUpserts entry "v": source must be one of env, file, exec'),
        (_plan(providerUpserts={"v": {"source": "file"}}), 'Invalid providerUpserts entry "v": a file provider needs a path'),
        (_plan(providerUpserts={"v": {"source": "exec", "command": "vault"}}),
         'Invalid providerUpserts entry "v": an exec provider needs an absolute command path'),
        (_plan(providerDeletes="v"), "Invalid secrets plan: providerDeletes must be an array of provider aliases"),
        (_plan(providerDeletes=["V"]), "Invalid secrets plan: providerDeletes must be an array of provider aliases"),
        (_plan(providerUpserts={"v": {"source": "env"}}, providerDeletes=["v"]),
         'Invalid secrets plan: provider "v" is both upserted and deleted'),
    ],
)
def test_plan_rules(document, message):
    assert _refused(document) == message


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"extra": 1}, 'Invalid plan target targets[0]: unknown field "extra"'),
        ({"type": "models.providers.baseUrl"}, "Unknown plan target type at targets[0]: models.providers.baseUrl"),
        ({"type": None}, "Unknown plan target type at targets[0]: None"),
        ({"path": None}, "Invalid plan target path for models.providers.apiKey: path must be a non-empty dot path"),
        ({"path": " "}, "Invalid plan target path for models.providers.apiKey: path must be a non-empty dot path"),
        ({"path": "models..openai.apiKey", "pathSegments": None},
         "Invalid plan target path for models.providers.apiKey: models..openai.apiKey"),
        ({"path": "models.providers.openai.baseUrl", "pathSegments": None},
         "Invalid plan target path for models.providers.apiKey: models.providers.openai.baseUrl"),
        ({"path": "models.providers.openai.apiKey.extra", "pathSegments": None},
         "Invalid plan target path for models.providers.apiKey: models.providers.openai.apiKey.extra"),
        ({"pathSegments": ["models", "providers", "other", "apiKey"]},
         "Invalid plan target pathSegments for models.providers.apiKey: they do not match models.providers.openai.apiKey"),
        ({"pathSegments": ["models.providers", "openai", "apiKey"]},
         "Invalid plan target pathSegments for models.providers.apiKey: they do not match models.providers.openai.apiKey"),
        ({"pathSegments": "models.providers.openai.apiKey"},
         "Invalid plan target pathSegments for models.providers.apiKey: they do not match models.providers.openai.apiKey"),
        ({"path": "models.providers.__proto__.apiKey", "pathSegments": None, "providerId": None},
         'Invalid plan target path for models.providers.apiKey: forbidden segment "__proto__" in models.providers.__proto__.apiKey'),
        ({"path": "models.providers.prototype.apiKey", "pathSegments": None, "providerId": None},
         'Invalid plan target path for models.providers.apiKey: forbidden segment "prototype" in models.providers.prototype.apiKey'),
        ({"path": "models.providers.constructor.apiKey", "pathSegments": None, "providerId": None},
         'Invalid plan target path for models.providers.apiKey: forbidden segment "constructor" in models.providers.constructor.apiKey'),
        ({"providerId": "anthropic"},
         'Invalid plan target providerId for models.providers.apiKey: "anthropic" does not match "openai" in models.providers.openai.apiKey'),
        ({"accountId": "work"}, "Invalid plan target accountId for models.providers.apiKey: this type has no accountId"),
        ({"agentId": "main"},
         "Invalid plan target for models.providers.apiKey: agentId and authProfileProvider are for auth-profile targets"),
        ({"ref": {"source": "env", "provider": "default"}},
         "Invalid plan target ref for models.providers.openai.apiKey: expected {source, provider, id}"),
        ({"ref": "OPENAI_API_KEY"}, "Invalid plan target ref for models.providers.openai.apiKey: expected {source, provider, id}"),
        ({"ref": {"source": "vault", "provider": "default", "id": "X"}},
         "Invalid plan target ref for models.providers.openai.apiKey: source must be one of env, file, exec"),
        ({"ref": {"source": "env", "provider": "Default", "id": "X"}},
         "Invalid plan target ref for models.providers.openai.apiKey: provider must match [a-z][a-z0-9_-]{0,63}"),
        ({"ref": {"source": "env", "provider": "default", "id": "openai_key"}},
         "Invalid plan target ref for models.providers.openai.apiKey: env id must be a variable name matching [A-Z][A-Z0-9_]{0,127}"),
        ({"ref": {"source": "file", "provider": "vault", "id": "openai"}},
         'Invalid plan target ref for models.providers.openai.apiKey: file id must be an absolute JSON pointer (or "value" for a singleValue provider)'),
        ({"ref": {"source": "exec", "provider": "vault", "id": "a/../b"}},
         "Invalid plan target ref for models.providers.openai.apiKey: exec id must match [A-Za-z0-9][A-Za-z0-9._:/#-]{0,255} without . or .. segments"),
        ({"ref": {"source": "env", "provider": "default", "id": "__OPENCLAW_REDACTED__"}},
         "Invalid plan target ref for models.providers.openai.apiKey: id must be a non-empty string"),
    ],
)
def test_target_rules(changes, message):
    assert _refused(_target(**changes)) == message


def test_account_ids_must_match_the_path():
    base = {"type": "channels.googlechat.accounts.serviceAccount", "path": "channels.googlechat.accounts.work.serviceAccount", "ref": ENV_REF}
    assert parse_plan(_plan(targets=[{**base, "accountId": "work"}])).targets[0].accountId == "work"
    assert _refused(_plan(targets=[{**base, "accountId": "home"}])) == (
        'Invalid plan target accountId for channels.googlechat.accounts.serviceAccount: "home" does not match "work" '
        "in channels.googlechat.accounts.work.serviceAccount"
    )
    assert _refused(_plan(targets=[{**base, "providerId": "work"}])) == (
        "Invalid plan target providerId for channels.googlechat.accounts.serviceAccount: this type has no providerId"
    )


@pytest.mark.parametrize(
    "changes, message",
    [
        ({}, "Invalid plan target for auth-profiles.api_key.key: profiles.openai.key needs an agentId ([a-z0-9][a-z0-9_-]{0,63})"),
        ({"agentId": "Main"}, "Invalid plan target for auth-profiles.api_key.key: profiles.openai.key needs an agentId ([a-z0-9][a-z0-9_-]{0,63})"),
        ({"agentId": "main", "authProfileProvider": ""}, "Invalid plan target authProfileProvider for auth-profiles.api_key.key: must be a provider id"),
    ],
)
def test_auth_profile_rules(changes, message):
    target = {"type": "auth-profiles.api_key.key", "path": "profiles.openai.key", "ref": ENV_REF, **changes}
    assert _refused(_plan(targets=[target])) == message


def test_exec_needs_consent_when_a_ref_or_a_provider_is_exec():
    execRef = {"source": "exec", "provider": "vault", "id": "openai/key"}
    assert parse_plan(_target(ref=execRef)).usesExec
    assert parse_plan(_plan(providerUpserts={"vault": {"source": "exec", "command": "/usr/bin/vault"}})).usesExec
    assert not parse_plan(PLAN).usesExec


# -- the file --------------------------------------------------------------------


def test_read_plan_file_rules(tmp_path):
    path = tmp_path / "plan.json"
    with pytest.raises(PlanError, match=f"^Plan file not found: {path}$"):
        read_plan(str(path))
    with pytest.raises(PlanError, match=f"^Plan file must be a regular file: {tmp_path}$"):
        read_plan(str(tmp_path))
    os.mkfifo(tmp_path / "fifo")  # (reading it would block)
    with pytest.raises(PlanError, match="^Plan file must be a regular file: .*fifo$"):
        read_plan(str(tmp_path / "fifo"))
    path.write_text("{not json")
    with pytest.raises(PlanError, match=rf"^Plan file is not valid JSON: {path} \(JSONDecodeError at byte 1\)$"):
        read_plan(str(path))
    path.write_text(json.dumps(PLAN))
    assert read_plan(str(path)).targets[0].path == "models.providers.openai.apiKey"


def test_a_plan_file_over_16_mib_is_refused_and_one_at_the_limit_is_read(tmp_path):
    path = tmp_path / "plan.json"
    text = json.dumps(PLAN)
    path.write_text(text + " " * (MAX_PLAN_BYTES - len(text)))
    assert read_plan(str(path)).targets
    with open(path, "a") as f:
        f.write(" ")
    with pytest.raises(PlanError, match=f"^Plan file is larger than 16 MiB: {path}$"):
        read_plan(str(path))
