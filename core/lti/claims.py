"""Launch claim rules beyond what pylti1p3 checks: 1EdTech Security Framework §5.1.3 and the
LTI Advantage certification list of bad payloads. Pure functions over the decoded id_token."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.lti.errors import LtiRejected

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)
#: clock skew allowed on exp/iat
LEEWAY_SECONDS = 60
#: an id_token older than this (by iat) is refused even when its exp is later
MAX_AGE_SECONDS = 600


@dataclass(frozen=True)
class LaunchClaims:
    """The parts of a validated launch the tool uses."""

    issuer: str
    subject: str
    deployment_id: str
    message_type: str
    roles: tuple[str, ...]
    target_link_uri: str
    name: str | None
    email: str | None
    email_verified: bool
    context_id: str | None
    context_title: str | None
    resource_link_id: str | None
    resource_link_title: str | None
    #: the viewer's IANA zone when the platform tells (OIDC `zoneinfo`, or a `timezone` custom
    #: parameter such as Canvas' $Person.address.timezone)
    time_zone: str | None = None


def check_audience(claims: Mapping[str, Any], client_id: str) -> None:
    """OIDC Core §3.1.3.7: our client id is in `aud`; with several audiences `azp` is
    required; when present `azp` is our client id."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        audiences = [aud]
    elif isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        audiences = aud
    else:
        raise LtiRejected("aud", "the id_token has no audience")
    if client_id not in audiences:
        raise LtiRejected("aud", "the id_token was issued for another client")
    azp = claims.get("azp")
    if len(audiences) > 1 and azp is None:
        raise LtiRejected("azp", "an id_token with several audiences must name its azp")
    if azp is not None and azp != client_id:
        raise LtiRejected("azp", "the id_token's authorised party is another client")


def check_times(
    claims: Mapping[str, Any],
    now: datetime,
    leeway: int = LEEWAY_SECONDS,
    max_age: int = MAX_AGE_SECONDS,
) -> None:
    """`exp` and `iat` are required numbers; skew up to `leeway`; no older than `max_age`."""
    stamp = now.timestamp()
    exp, iat = claims.get("exp"), claims.get("iat")
    for name, value in (("exp", exp), ("iat", iat)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise LtiRejected(name, f"the id_token has no valid '{name}' claim")
    assert isinstance(exp, int | float) and isinstance(iat, int | float)
    if exp + leeway < stamp:
        raise LtiRejected("exp", "the id_token has expired")
    if iat - leeway > stamp:
        raise LtiRejected("iat", "the id_token was issued in the future")
    if stamp - iat > max_age + leeway:
        raise LtiRejected("iat", "the id_token is too old")
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and not isinstance(nbf, bool) and nbf - leeway > stamp:
        raise LtiRejected("nbf", "the id_token is not valid yet")


def _str(claims: Mapping[str, Any], key: str) -> str | None:
    value = claims.get(key)
    return value if isinstance(value, str) and value else None


def within_tool(url: str, tool_prefixes: Sequence[str]) -> bool:
    """True when `url` is one of the tool's own LTI URLs (no open redirect)."""
    return any(url == p or url.startswith(p.rstrip("/") + "/") for p in tool_prefixes)


def check_message(
    claims: Mapping[str, Any],
    *,
    deployment_ids: Sequence[str],
    tool_prefixes: Sequence[str],
    login_target: str | None = None,
) -> LaunchClaims:
    """Message-level rules: version, type, deployment, roles, resource link, target link."""
    if claims.get(LTI + "version") != "1.3.0":
        raise LtiRejected("version", "only LTI version 1.3.0 launches are accepted")
    message_type = claims.get(LTI + "message_type")
    if message_type not in MESSAGE_TYPES:
        raise LtiRejected("message_type", "this message type is not supported")
    deployment_id = _str(claims, LTI + "deployment_id")
    if deployment_id is None or len(deployment_id) > 255:
        raise LtiRejected("deployment_id", "the launch names no deployment")
    if deployment_id not in deployment_ids:
        raise LtiRejected("deployment_id", "this deployment is not registered with the tool")
    subject = _str(claims, "sub")
    if subject is None or len(subject) > 255:
        raise LtiRejected("sub", "the launch does not say who the user is")
    roles = claims.get(LTI + "roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise LtiRejected("roles", "the roles claim must be an array of strings")
    target = _str(claims, LTI + "target_link_uri")
    if target is None or not within_tool(target, tool_prefixes):
        raise LtiRejected("target_link_uri", "the launch targets a URL outside this tool")
    if login_target is not None and target != login_target:
        raise LtiRejected("target_link_uri", "the launch target differs from the login's")
    link = claims.get(LTI + "resource_link")
    link_id: str | None = None
    link_title: str | None = None
    if message_type == RESOURCE_LINK_REQUEST:
        if not isinstance(link, dict) or not isinstance(link.get("id"), str) or not link["id"]:
            raise LtiRejected("resource_link", "a resource link launch needs a resource link id")
        link_id = link["id"]
        link_title = link.get("title") if isinstance(link.get("title"), str) else None
    else:
        settings = claims.get(DL + "deep_linking_settings")
        if not isinstance(settings, dict) or not _str(settings, "deep_link_return_url"):
            raise LtiRejected(
                "deep_linking_settings", "a deep linking request needs its return URL"
            )
    context = claims.get(LTI + "context")
    context_id = context_title = None
    if isinstance(context, dict):
        context_id = _str(context, "id")
        context_title = _str(context, "title") or _str(context, "label")
    return LaunchClaims(
        issuer=str(claims.get("iss")),
        subject=subject,
        deployment_id=deployment_id,
        message_type=str(message_type),
        roles=tuple(roles),
        target_link_uri=target,
        name=_str(claims, "name")
        or " ".join(p for p in (_str(claims, "given_name"), _str(claims, "family_name")) if p)
        or None,
        email=_str(claims, "email"),
        email_verified=claims.get("email_verified") is True,
        context_id=context_id,
        context_title=context_title,
        resource_link_id=link_id,
        resource_link_title=link_title,
        time_zone=_str(claims, "zoneinfo") or _custom(claims, "timezone"),
    )


def _custom(claims: Mapping[str, Any], key: str) -> str | None:
    custom = claims.get(LTI + "custom")
    return _str(custom, key) if isinstance(custom, dict) else None
