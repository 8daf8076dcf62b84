"""Login states sealed into the `state` value: they open only with a key that sealed them,
unaltered; everything else is not a login of this tool."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from core.lti.loginstate import seal, state_key, unseal
from core.lti.model import LoginState

KEY = state_key("-----BEGIN PRIVATE KEY-----\none\n-----END PRIVATE KEY-----")
OTHER = state_key("-----BEGIN PRIVATE KEY-----\ntwo\n-----END PRIVATE KEY-----")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _login(**changes: object) -> LoginState:
    values: dict[str, object] = {
        "state": "",
        "nonce": "n-123",
        "platform_id": uuid4(),
        "target_link_uri": "https://peerlearn.example/lti/launch",
        "browser_hash": "ab" * 32,
        "created_at": NOW,
        "expires_at": NOW + timedelta(minutes=10),
        "storage_target": None,
    }
    values.update(changes)
    return LoginState(**values)  # type: ignore[arg-type]


def test_a_sealed_state_opens_to_the_same_login() -> None:
    login = _login(storage_target="_parent")
    state = seal(login, KEY)
    assert state.startswith("state-") and len(state) < 600
    opened = unseal(state, [KEY])
    assert opened is not None
    assert opened.state == state
    assert (opened.nonce, opened.platform_id, opened.browser_hash) == (
        login.nonce,
        login.platform_id,
        login.browser_hash,
    )
    assert (opened.created_at, opened.expires_at) == (login.created_at, login.expires_at)
    assert opened.target_link_uri == login.target_link_uri and opened.storage_target == "_parent"
    assert opened.used_at is None


def test_an_altered_or_foreign_state_does_not_open() -> None:
    state = seal(_login(), KEY)
    body, mac = state.removeprefix("state-").split(".")
    tampered = seal(_login(browser_hash="cd" * 32), KEY).removeprefix("state-").split(".")[0]
    for bad in (
        f"state-{tampered}.{mac}",  # someone else's browser hash under this signature
        state[:-2],
        state + "x",
        f"state-{body}.",
        f"state-{body}",
        "state-x",
        "state-" + "a" * 5000,
        "",
        body,
    ):
        assert unseal(bad, [KEY]) is None, bad
    # sealed with another installation's key
    assert unseal(seal(_login(), OTHER), [KEY]) is None


def test_states_sealed_before_a_key_rotation_still_open() -> None:
    state = seal(_login(), OTHER)
    assert unseal(state, [KEY, OTHER]) is not None
