"""The OIDC login's state, sealed into the `state` value itself (HMAC-SHA256): the login step
writes nothing, and the launch reads what it is checked against from the state it brings back.

What the database still guarantees happens at the launch: using a login inserts one row keyed by
the state's hash and by the nonce (both unique), so a login is used at most once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from core.lti.model import LoginState

PREFIX = "state-"
#: a sealed state is a few hundred characters; anything much longer is not ours
MAX_LENGTH = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, (PREFIX + body).encode(), hashlib.sha256).digest())


def seal(login: LoginState, key: bytes) -> str:
    """The state value for `login` (its `state` field is ignored)."""
    payload = {
        "p": str(login.platform_id),
        "n": login.nonce,
        "h": login.browser_hash,
        "t": login.target_link_uri,
        "c": int(login.created_at.timestamp()),
        "x": int(login.expires_at.timestamp()),
        "s": login.storage_target,
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{PREFIX}{body}.{_mac(key, body)}"


def unseal(state: str, keys: Sequence[bytes]) -> LoginState | None:
    """The login a state value was sealed from by one of `keys`; None when it was not (forged,
    altered, truncated or not a sealed state at all). Expiry is the caller's check."""
    if not state.startswith(PREFIX) or len(state) > MAX_LENGTH:
        return None
    body, _, mac = state[len(PREFIX) :].partition(".")
    if not body or not mac:
        return None
    if not any(hmac.compare_digest(_mac(key, body), mac) for key in keys):
        return None
    try:
        payload = json.loads(_unb64(body))
        storage = payload.get("s")
        return LoginState(
            state=state,
            nonce=str(payload["n"]),
            platform_id=UUID(str(payload["p"])),
            target_link_uri=str(payload["t"]),
            browser_hash=str(payload["h"]),
            created_at=datetime.fromtimestamp(int(payload["c"]), UTC),
            expires_at=datetime.fromtimestamp(int(payload["x"]), UTC),
            storage_target=str(storage) if storage else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def state_key(private_pem: str) -> bytes:
    """The sealing key derived from one of the tool's signing keys (kept in the database, so
    every process of the installation shares it, and it changes when the keys rotate)."""
    return hashlib.sha256(b"peerlearn-lti-login-state\x00" + private_pem.encode()).digest()
