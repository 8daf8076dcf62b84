"""pylti1p3 `Registration` objects built from peerlearn's platform records and tool key."""

from __future__ import annotations

from pylti1p3.registration import Registration

from adapters.lms.keys import public_pem
from core.lti.model import Platform, ToolKey


def pylti_registration(platform: Platform, key: ToolKey) -> Registration:
    reg = Registration()
    reg.set_issuer(platform.issuer).set_client_id(platform.client_id)
    reg.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
    reg.set_key_set_url(platform.key_set_url)
    if platform.auth_audience:
        reg.set_auth_audience(platform.auth_audience)
    reg.set_tool_private_key(key.private_pem).set_tool_public_key(public_pem(key.private_pem))
    return reg
