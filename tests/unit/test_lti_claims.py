"""Launch claim rules the tool adds to pylti1p3 (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from core.lti.claims import LTI, check_audience, check_message, check_times, within_tool
from core.lti.errors import LtiRejected
from core.lti.model import CourseLink, is_instructor_role
from core.lti.service import check_openid_configuration, completes

NOW = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)
TOOL = ("https://peerlearn.example/lti",)


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "https://lms.example",
        "sub": "u1",
        "aud": "client-1",
        LTI + "version": "1.3.0",
        LTI + "message_type": "LtiResourceLinkRequest",
        LTI + "deployment_id": "d1",
        LTI + "roles": [],
        LTI + "target_link_uri": "https://peerlearn.example/lti/launch",
        LTI + "resource_link": {"id": "rl"},
    }
    base.update(changes)
    return base


def reason(call: Any) -> str:
    with pytest.raises(LtiRejected) as info:
        call()
    return info.value.reason


def test_our_client_may_be_any_member_of_a_list_audience_when_azp_names_us() -> None:
    check_audience(claims(aud=["other", "client-1"], azp="client-1"), "client-1")


@pytest.mark.parametrize(
    ("aud", "azp", "why"),
    [
        ("other", None, "aud"),
        ([], None, "aud"),
        (None, None, "aud"),
        (["client-1", "other"], None, "azp"),
        ("client-1", "other", "azp"),
        ([1, 2], None, "aud"),
    ],
)
def test_audiences_follow_openid_connect(aud: Any, azp: Any, why: str) -> None:
    c = claims(aud=aud)
    if azp is not None:
        c["azp"] = azp
    assert reason(lambda: check_audience(c, "client-1")) == why


def test_a_minute_of_clock_skew_is_tolerated() -> None:
    stamp = int(NOW.timestamp())
    check_times({"exp": stamp - 59, "iat": stamp + 59}, NOW)


@pytest.mark.parametrize(
    ("exp", "iat", "why"),
    [
        (-61, 0, "exp"),
        (300, 61, "iat"),
        (3600, -661, "iat"),
        (None, 0, "exp"),
        (300, None, "iat"),
        ("300", 0, "exp"),
        (True, 0, "exp"),
    ],
)
def test_expiry_and_issue_time_are_required_and_bounded(exp: Any, iat: Any, why: str) -> None:
    stamp = int(NOW.timestamp())
    c: dict[str, Any] = {}
    if exp is not None:
        c["exp"] = exp if isinstance(exp, str | bool) else stamp + exp
    if iat is not None:
        c["iat"] = stamp + iat
    assert reason(lambda: check_times(c, NOW)) == why


def test_a_deep_linking_request_needs_its_return_url_but_no_resource_link() -> None:
    c = claims(**{LTI + "message_type": "LtiDeepLinkingRequest"})
    del c[LTI + "resource_link"]
    assert reason(lambda: check_message(c, deployment_ids=["d1"], tool_prefixes=TOOL)) == (
        "deep_linking_settings"
    )
    c["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
        "deep_link_return_url": "https://lms.example/return"
    }
    launch = check_message(c, deployment_ids=["d1"], tool_prefixes=TOOL)
    assert launch.resource_link_id is None and launch.message_type == "LtiDeepLinkingRequest"


def test_a_look_alike_host_is_not_within_the_tool() -> None:
    assert within_tool("https://peerlearn.example/lti/launch", TOOL)
    assert not within_tool("https://peerlearn.example/ltix/launch", TOOL)
    assert not within_tool("https://peerlearn.example.evil/lti/launch", TOOL)


def test_the_target_must_match_the_login() -> None:
    assert (
        reason(
            lambda: check_message(
                claims(),
                deployment_ids=["d1"],
                tool_prefixes=TOOL,
                login_target="https://peerlearn.example/lti/other",
            )
        )
        == "target_link_uri"
    )


def test_names_are_taken_from_given_and_family_name_when_name_is_missing() -> None:
    launch = check_message(
        claims(given_name="Ada", family_name="Lovelace"), deployment_ids=["d1"], tool_prefixes=TOOL
    )
    assert launch.name == "Ada Lovelace"


def test_instructor_roles_include_administrators_and_teaching_assistants() -> None:
    assert is_instructor_role("http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor")
    assert is_instructor_role("http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator")
    assert is_instructor_role(
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
    )
    assert not is_instructor_role("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner")


CONFIG = {
    "issuer": "https://moodle.example.edu",
    "authorization_endpoint": "https://moodle.example.edu/mod/lti/auth.php",
    "token_endpoint": "https://moodle.example.edu/mod/lti/token.php",
    "jwks_uri": "https://moodle.example.edu/mod/lti/certs.php",
    "registration_endpoint": "https://moodle.example.edu/mod/lti/openid-registration.php",
    "https://purl.imsglobal.org/spec/lti-platform-configuration": {"product_family_code": "moodle"},
}


def test_an_openid_configuration_under_its_issuer_is_accepted() -> None:
    endpoints = check_openid_configuration(
        "https://moodle.example.edu/mod/lti/openid-configuration.php", CONFIG
    )
    assert endpoints["key_set_url"] == CONFIG["jwks_uri"]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/mod/lti/openid-configuration.php",
        "https://moodle.example.edu.evil.example/openid-configuration",
        "https://moodle.example.educated/openid-configuration",
    ],
)
def test_an_openid_configuration_from_elsewhere_is_refused(url: str) -> None:
    assert reason(lambda: check_openid_configuration(url, CONFIG)) == "issuer"


def test_a_configuration_without_lti_platform_details_is_refused() -> None:
    config = {k: v for k, v in CONFIG.items() if not k.startswith("https://purl")}
    url = "https://moodle.example.edu/mod/lti/openid-configuration.php"
    assert reason(lambda: check_openid_configuration(url, config)) == "platform_configuration"


def _link(kind: str, target: str = "", graded: bool = True) -> CourseLink:
    from uuid import uuid4

    return CourseLink(uuid4(), uuid4(), uuid4(), kind, target, "t", graded=graded)  # type: ignore[arg-type]


def test_which_completions_count_on_which_course_links() -> None:
    assert completes(_link("directory"), "office_hours", "t1", "h1")
    assert not completes(_link("directory", graded=False), "office_hours", "t1", "h1")
    assert completes(_link("expert", "h1"), "office_hours", "t1", "h1")
    assert not completes(_link("expert", "h2"), "office_hours", "t1", "h1")
    assert completes(_link("cohort", "c1"), "cohort", "c1", None)
    assert not completes(_link("cohort", "c1"), "cohort", "c2", None)
    # a graded community link counts a completed cohort or challenge of that community
    assert completes(_link("community", "k1"), "cohort", "c1", None, "k1")
    assert not completes(_link("community", "k1"), "cohort", "c1", None, "k2")
    assert not completes(_link("community", "k1"), "office_hours", "t1", "h1", "k1")
