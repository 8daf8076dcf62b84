"""A real LTI 1.3 platform on 127.0.0.1 built from PyPI `lti1p3platform`: OIDC login
initiation, signed launches, JWKS, OAuth2 token endpoint, AGS, NRPS and deep linking response
validation. Its code is synchronous (requests): every handler runs in a thread so that its
calls back to the tool (the tool's JWKS) never block the shared event loop."""

from __future__ import annotations

import asyncio
import html
import json
import typing as t
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from lti1p3platform.exceptions import LineItemNotFoundException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.response import Response, generate_next_link
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
    TPage,
)

from tests.fakes.lti_forger import INSTRUCTOR, LEARNER, SigningKey

CONTEXT = "course-42"


class PlatformRequest(Request):
    def build_metadata(self, request: Any) -> Any:
        return request


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return t.cast(Registration, self._registration)


class PlatformLogin(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class PlatformLaunch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return dict(launch_data)


@dataclass
class Member:
    user_id: str
    name: str
    email: str
    roles: list[str]
    status: str = "Active"
    zoneinfo: str | None = None


@dataclass
class Gradebook:
    lineitems: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class PlatformAgs(AssignmentsGradesService):
    book: Gradebook
    base: str

    def find_lineitems(
        self,
        page: int = 1,
        limit: int | None = None,
        resource_link_id: str | None = None,
        resource_id: str | None = None,
        tag: str | None = None,
        **_: Any,
    ) -> TPage:
        items = [
            i
            for i in self.book.lineitems.values()
            if (tag is None or i.get("tag") == tag)
            and (resource_id is None or i.get("resourceId") == resource_id)
        ]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str) -> Any:
        if line_item_id not in self.book.lineitems:
            raise LineItemNotFoundException()
        return self.book.lineitems[line_item_id]

    def create_lineitem(self, lineitem: Any) -> Any:
        item_id = f"{self.base}/ags/{CONTEXT}/lineitems/{len(self.book.lineitems) + 1}"
        item = {**lineitem, "id": item_id}
        self.book.lineitems[item_id] = item
        return item

    def update_lineitem(self, lineitem: Any) -> Any:
        self.book.lineitems[lineitem["id"]].update(lineitem)
        return self.book.lineitems[lineitem["id"]]

    def delete_lineitem(self, line_item_id: str) -> None:
        self.book.lineitems.pop(line_item_id, None)

    def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
        if line_item_id not in self.book.lineitems:
            raise LineItemNotFoundException()
        self.book.scores.append((line_item_id, dict(score)))
        return UpdateScoreStatus.SUCCESS

    def get_results(self, line_item_id: str, **kwargs: Any) -> TPage:
        return {"content": [], "has_next": False, "next": None}


class PlatformNrps(NamesRoleProvisioningService):
    members: list[Member]

    def get_member_data_page(
        self,
        page: int = 1,
        limit: int | None = None,
        role: str | None = None,
        since: str | None = None,
    ) -> TPage:
        page, size = int(page), int(limit or 1000)
        chunk = self.members[(page - 1) * size : page * size]
        content = [
            {
                "user_id": m.user_id,
                "name": m.name,
                "email": m.email,
                "roles": m.roles,
                "status": m.status,
            }
            for m in chunk
        ]
        return {"content": content, "has_next": page * size < len(self.members), "next": None}

    def get_context_by_id(self) -> Context:
        return Context(id=CONTEXT, label="DL101", title="Data Literacy 101")


def _json(resp: Response) -> web.Response:
    """lti1p3platform's framework glue: a page's content as the body, its next page as Link."""
    if 200 <= resp.code < 300:
        data = resp.result
        headers: dict[str, str] = {}
        if isinstance(data, dict) and "content" in data:
            if data.get("next"):
                headers["Link"] = generate_next_link(data["next"])
            data = data["content"]
        elif isinstance(data, dict) and data.get("next"):
            headers["Link"] = generate_next_link(data["next"])
        return web.Response(
            text=json.dumps(data),
            status=resp.code,
            content_type=resp.media_type.split(";")[0],
            headers=headers,
        )
    return web.json_response({"error": resp.message}, status=resp.code)


class Lti1p3Platform:
    """One platform, one course, one registration of the tool."""

    def __init__(self, client_id: str = "tool-client-1", deployment_id: str = "dep-1") -> None:
        self.key = SigningKey()
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.url = ""
        self.tool_url = ""
        self.book = Gradebook()
        self.members = [
            Member(
                "u-ada", "Ada Lovelace", "ada@acme.example", [LEARNER], zoneinfo="Europe/London"
            ),
            Member("u-grace", "Grace Hopper", "grace@acme.example", [INSTRUCTOR]),
            Member("u-alan", "Alan Turing", "alan@acme.example", [LEARNER]),
            Member("u-kat", "Katherine Johnson", "kat@acme.example", [LEARNER]),
            Member("u-edsger", "Edsger Dijkstra", "edsger@acme.example", [LEARNER]),
        ]
        self.deep_link_items: list[dict[str, Any]] = []
        self.token_requests = 0
        self.ags_lineitem: str | None = None
        #: custom parameters of the course link (what deep linking placed there)
        self.custom: dict[str, str] = {}

    def conf(self) -> PlatformConf:
        reg = (
            Registration()
            .set_iss(self.url)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_oidc_login_url(self.tool_url + "/lti/login")
            .set_launch_url(self.tool_url + "/lti/launch")
            .set_deeplink_launch_url(self.tool_url + "/lti/launch")
            .set_platform_public_key(self.key.jwk.export_to_pem().decode())
            .set_platform_private_key(self.key.pem.decode())
            .set_tool_key_set_url(self.tool_url + "/lti/jwks")
        )
        return PlatformConf(registration=reg)

    @staticmethod
    def _request(
        request: web.Request, body: bytes, get: dict[str, Any] | None = None
    ) -> PlatformRequest:
        data: Any = None
        if body and "json" in (request.content_type or ""):
            data = json.loads(body)
        return PlatformRequest(
            {
                "method": request.method,
                "form_data": {},
                "get_data": get if get is not None else dict(request.query),
                "headers": request.headers,
                "content_type": request.content_type,
                "path": request.path,
                "json": data,
            }
        )

    # what a user clicking in the course does: the platform's login initiation URL
    def login_url(self, user_id: str, deep_linking: bool = False) -> str:
        conf = self.conf()
        login = PlatformLogin(PlatformRequest({}), conf)
        login.set_lti_message_hint(hint="deeplink" if deep_linking else "resource")
        return t.cast(str, login.initiate_login(user_id))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/authorize", self.authorize)
        app.router.add_get("/jwks", self.jwks)
        app.router.add_post("/token", self.token)
        app.router.add_route("*", f"/ags/{CONTEXT}/lineitems", self.lineitems)
        app.router.add_post(f"/ags/{CONTEXT}/lineitems/{{item}}/scores", self.scores)
        app.router.add_get(f"/nrps/{CONTEXT}/memberships", self.memberships)
        app.router.add_post("/deep-link-return", self.deep_link_return)
        app.router.add_get("/course/{user}", self.course_page)
        return app

    async def course_page(self, request: web.Request) -> web.Response:
        """The LMS course page with peerlearn in an iframe, as a learner sees it."""
        src = html.escape(self.login_url(request.match_info["user"]))
        page = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Data Literacy 101"
            "</title><style>body{font-family:sans-serif;margin:0}header{background:#f4f4f4;"
            "padding:12px 20px;border-bottom:1px solid #ccc}iframe{border:0;width:100%;"
            "height:1100px}</style></head><body><header><strong>Data Literacy 101</strong> · "
            "Week 3 · Ask an expert</header>"
            f'<iframe id="tool" title="peerlearn" src="{src}"></iframe></body></html>'
        )
        return web.Response(text=page, content_type="text/html")

    async def authorize(self, request: web.Request) -> web.Response:
        params = dict(request.query)

        def launch() -> dict[str, Any]:
            conf = self.conf()
            message = PlatformLaunch(PlatformRequest({"get_data": params, "form_data": {}}), conf)
            user = next(m for m in self.members if m.user_id == params["login_hint"])
            message.set_user_data(user.user_id, user.roles, user.name, user.email)
            if user.zoneinfo:
                message.set_extra_claims({"zoneinfo": user.zoneinfo})
            message.set_launch_context_claim(
                CONTEXT, context_title="Data Literacy 101", context_label="DL101"
            )
            message.set_resource_link_claim("rl-7", title="Ask an expert")
            message.set_ags(
                lineitems_url=f"{self.url}/ags/{CONTEXT}/lineitems",
                lineitem_url=self.ags_lineitem,
                allow_creating_lineitems=True,
            )
            message.set_nrps(f"{self.url}/nrps/{CONTEXT}/memberships?limit=2")
            if self.custom:
                message.set_custom_parameters_claim(dict(self.custom))
            if params.get("lti_message_hint") == "deeplink":
                message.set_dl(
                    deep_link_return_url=f"{self.url}/deep-link-return",
                    title="Add peerlearn",
                    accept_types={"ltiResourceLink"},
                )
            return t.cast(dict[str, Any], message.lti_launch())

        answer = await asyncio.to_thread(launch)
        if "text/html" in request.headers.get("Accept", ""):
            # a browser: the platform's auto-submitting form, as in the LTI 1.3 spec
            fields = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(str(answer[k]))}">'
                for k in ("id_token", "state")
            )
            page = (
                "<!doctype html><html lang='en'><head><title>Launching</title></head><body>"
                f'<form id="f" method="post" action="{html.escape(answer["launch_url"])}">{fields}'
                "</form><script>document.getElementById('f').submit()</script></body></html>"
            )
            return web.Response(text=page, content_type="text/html")
        return web.json_response(answer)

    async def jwks(self, request: web.Request) -> web.Response:
        return web.json_response(self.conf().get_jwks())

    async def token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests += 1
        try:
            answer = await asyncio.to_thread(self.conf().get_access_token, form)
        except Exception as exc:
            return web.json_response({"error": "invalid_client", "detail": str(exc)}, status=400)
        return web.json_response(answer)

    def _ags(self, request: web.Request, body: bytes) -> PlatformAgs:
        get = {k: v for k, v in request.query.items()}
        service = PlatformAgs(
            self._request(request, body, get), self.conf(), f"{self.url}/ags/{CONTEXT}/lineitems"
        )
        service.book, service.base = self.book, self.url
        return service

    async def lineitems(self, request: web.Request) -> web.Response:
        body = await request.read()
        service = self._ags(request, body)
        handler = (
            service.handle_create_lineitem
            if request.method == "POST"
            else service.handle_get_lineitems
        )
        return _json(await asyncio.to_thread(service.handle_resp, handler))

    async def scores(self, request: web.Request) -> web.Response:
        body = await request.read()
        service = self._ags(request, body)
        item_id = f"{self.url}/ags/{CONTEXT}/lineitems/{request.match_info['item']}"
        return _json(
            await asyncio.to_thread(
                service.handle_resp, service.handle_update_score, line_item_id=item_id
            )
        )

    async def memberships(self, request: web.Request) -> web.Response:
        get: dict[str, Any] = dict(request.query)
        for k in ("limit", "page"):
            if k in get:
                get[k] = int(get[k])
        service = PlatformNrps(
            self._request(request, b"", get), self.conf(), f"{self.url}/nrps/{CONTEXT}/memberships"
        )
        service.members = self.members
        return _json(await asyncio.to_thread(service.handle_resp, service.handle_get_members))

    async def deep_link_return(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        conf = self.conf()
        try:
            items = await asyncio.to_thread(conf.validate_deeplinking_resp, form)
        except Exception as exc:
            return web.json_response({"error": str(exc)}, status=400)
        self.deep_link_items.extend(items)
        return web.json_response({"items": items})


def urlencoded(params: dict[str, str]) -> str:
    return urlencode(params)
