"""The pylti1p3 glue on aiohttp: cookies fit an LMS iframe, inactive registrations never reach
pylti1p3, and the tool's kid is the one pylti1p3 signs with."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from aiohttp import web
from pylti1p3.exception import LtiException

from adapters.lms.keys import generate_tool_key
from core.lti.model import Platform
from lti.glue import (
    AiohttpCookieService,
    AiohttpMessageLaunch,
    AiohttpRequest,
    DbToolConf,
    RequestStorage,
    tool_registration,
)
from tests.fakes.lti_forger import Forger, SigningKey


def _platform(active: bool = True) -> Platform:
    return Platform(
        id=uuid4(),
        organisation_id=uuid4(),
        issuer="https://lms.example",
        client_id="c1",
        auth_login_url="https://lms.example/auth",
        auth_token_url="https://lms.example/token",
        key_set_url="https://lms.example/jwks",
        active=active,
        deployment_ids=("d1",),
    )


def _cookie_header(secure: bool) -> str:
    cookies = AiohttpCookieService(AiohttpRequest({}, {}, secure=secure))
    cookies.set_cookie("state-abc", "secret", 600)
    response = web.Response()
    cookies.update_response(response)
    return response.cookies["lti1p3-state-abc"].OutputString()


def test_over_https_the_state_cookie_survives_a_third_party_iframe() -> None:
    header = _cookie_header(secure=True)
    assert "lti1p3-state-abc=secret" in header
    assert "SameSite=None" in header and "Secure" in header and "HttpOnly" in header
    assert "Path=/lti/" in header and "Max-Age=600" in header


def test_over_plain_http_the_cookie_is_lax_and_not_secure() -> None:
    header = _cookie_header(secure=False)
    assert "SameSite=Lax" in header and "Secure" not in header


def test_an_inactive_registration_is_not_found_by_pylti1p3() -> None:
    for active, found in ((True, True), (False, False)):
        platform = _platform(active)
        conf = DbToolConf(platform, tool_registration(platform, None, None))
        assert (conf.find_registration_by_params("https://lms.example", "c1") is not None) is found
        assert (conf.find_deployment("https://lms.example", "d1") is not None) is found
    platform = _platform()
    conf = DbToolConf(platform, tool_registration(platform, None, None))
    assert conf.find_registration_by_params("https://lms.example", "other") is None
    assert conf.find_deployment("https://lms.example", "d2") is None


def test_the_kid_pylti1p3_signs_with_is_the_published_one() -> None:
    kid, private_pem, public = generate_tool_key()
    registration = tool_registration(_platform(), private_pem, None)
    assert registration.get_kid() == kid == public["kid"]
    assert "d" not in public and public["alg"] == "RS256"


def _signature_check(token: str, keys: list[dict[str, Any]]) -> None:
    platform = _platform()
    message = AiohttpMessageLaunch(
        AiohttpRequest({"id_token": token}, {}, secure=False),
        DbToolConf(platform, tool_registration(platform, None, {"keys": keys})),
        RequestStorage(),
    )
    message.set_auto_validation(enable=False)
    message.validate_jwt_format().validate_registration().validate_jwt_signature()


def test_a_parsed_platform_key_is_reused_only_for_the_very_same_key() -> None:
    forger = Forger()
    claims = {"iss": "https://lms.example", "aud": "c1", "sub": "s"}
    token = forger.sign(claims)
    for _ in range(2):  # the second check uses the key parsed by the first
        _signature_check(token, [forger.key.public()])
    # another key published under the same kid (a rotation reusing it): parsed afresh, refused
    other = SigningKey()
    impostor = {**other.public(), "kid": forger.key.kid}
    with pytest.raises(LtiException, match="decode"):
        _signature_check(token, [impostor])
    with pytest.raises(LtiException, match="Unable to find public key"):
        _signature_check(forger.sign(claims, headers={"kid": "unknown"}), [forger.key.public()])
    # a key set that leaks a private key is not used as a verification key
    private = {**forger.key.jwk.export_private(as_dict=True), "kid": forger.key.kid}
    with pytest.raises(LtiException, match="convert"):
        _signature_check(token, [private])
