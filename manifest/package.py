"""The Teams app package: manifest v1.29, icons and translations, validated before it is written.

`build_package(...)` returns the zip bytes only when the manifest and every localisation file
pass the official schemas and the zip's layout and icon sizes are right; otherwise it raises
`InvalidPackage` listing every problem.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import regex
from PIL import Image

from manifest import icons

MANIFEST_VERSION = "1.29"
SCHEMA_URL = "https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA_URL = "https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.Localization.schema.json"
COLOR = "color.png"
OUTLINE = "outline.png"
SEARCH_COMMAND = "searchColleagues"
ASK_COMMAND = "askExperts"
_SEMVER = re.compile(r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$")
_HERE = Path(__file__).resolve().parent
_DOMAIN = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(:\d{1,5})?$")


class InvalidPackage(Exception):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("the Teams app package is invalid:\n- " + "\n- ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class AppSettings:
    """What differs between installations."""

    app_id: str
    bot_id: str
    domain: str
    version: str = "1.0.0"
    developer_name: str = "peerlearn"
    website_url: str = ""
    privacy_url: str = ""
    terms_url: str = ""
    #: Entra app id and Application ID URI for SSO, when configured
    sso_app_id: str = ""
    sso_resource: str = ""
    extra_domains: tuple[str, ...] = field(default_factory=tuple)


# what the bot understands, per scope (titles must parse in bot/parsing.py)
PERSONAL_COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "What I can do"),
    ("find", "Colleagues who know a topic, e.g. find kubernetes networking"),
    ("ask", "Ask a question: earlier answers first, then the experts"),
    ("my bookings", "Your upcoming office hours"),
    ("communities", "Communities you can join, with join and leave buttons"),
    ("share", "Share a tip, prompt or resource with a community"),
    ("library", "Search your communities' tips, prompts and resources"),
    ("my skills", "Your skills and levels"),
    ("my office hours", "Your office hours: pause them or add weekly times"),
    ("who is", "Find a colleague by name, e.g. who is Jonas"),
    ("profile", "Your profile and the time zone times are shown in"),
    ("time zone", "Show times in another zone, e.g. time zone Europe/Berlin"),
)
TEAM_COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "What I can do in this channel"),
    ("find", "Colleagues who know a topic, e.g. find kubernetes networking"),
    ("ask", "Ask a question: earlier answers first, then the experts"),
    ("who is", "Find a colleague by name, e.g. who is Jonas"),
    (
        "link community",
        "Post a community's news in this channel, e.g. link community Platform guild",
    ),
    ("library", "Search your communities' tips, prompts and resources"),
)

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "name.short": "peerlearn",
        "name.full": "peerlearn: learn from your colleagues",
        "description.short": "Find the colleague who knows, ask them, and book their office hours.",
        "description.full": (
            "peerlearn turns your organisation's own experts into a peer-learning system. Ask a "
            "question in chat and it reaches the colleague who knows; book their office hours in "
            "your own time zone; share tips and prompts with your communities of practice. "
            "Everything stays inside your Microsoft 365 tenant."
        ),
        "search.title": "Colleagues",
        "search.description": "Find a colleague by name and share their card",
        "search.parameter.title": "Name",
        "search.parameter.description": "Part of a first or last name",
        "search.prompt.1": "Find Jonas from the platform team",
        "search.prompt.2": "Who is Priya?",
        "ask.title": "Ask the experts",
        "ask.description": "Turn this message into a question for colleagues who know",
        "help.personal": "What I can do",
        "help.team": "What I can do in this channel",
        "who": "Find a colleague by name, e.g. who is Jonas",
        "find": "Colleagues who know a topic, e.g. find kubernetes networking",
        "ask": "Ask a question: earlier answers first, then the experts",
        "bookings": "Your upcoming office hours",
        "communities": "Communities you can join, with join and leave buttons",
        "share": "Share a tip, prompt or resource with a community",
        "library": "Search your communities' tips, prompts and resources",
        "skills": "Your skills and levels",
        "hours": "Your office hours: pause them or add weekly times",
        "link": "Post a community's news in this channel, e.g. link community Platform guild",
        "profile": "Your profile and the time zone times are shown in",
        "timezone": "Show times in another zone, e.g. time zone Europe/Berlin",
    },
    "de": {
        "name.short": "peerlearn",
        "name.full": "peerlearn: von Kolleginnen und Kollegen lernen",
        "description.short": "Finde, wer sich auskennt, stelle deine Frage und buche Sprechstunden.",
        "description.full": (
            "peerlearn macht die Fachleute deiner Organisation zu einem Lernnetzwerk. Eine Frage "
            "im Chat erreicht die Person, die sich auskennt; Sprechstunden buchst du in deiner "
            "eigenen Zeitzone; Tipps und Prompts teilst du mit deinen Communities of Practice. "
            "Alles bleibt in deinem Microsoft-365-Mandanten."
        ),
        "search.title": "Kollegen",
        "search.description": "Kollegin oder Kollegen finden und Karte teilen",
        "search.parameter.title": "Name",
        "search.parameter.description": "Teil des Vor- oder Nachnamens",
        "search.prompt.1": "Finde Jonas aus dem Plattform-Team",
        "search.prompt.2": "Wer ist Priya?",
        "ask.title": "Experten fragen",
        "ask.description": "Aus dieser Nachricht eine Frage an Fachleute machen",
        "help.personal": "Was ich kann",
        "help.team": "Was ich in diesem Kanal kann",
        "who": "Kollegin oder Kollegen nach Namen finden, z. B. who is Jonas",
        "find": "Wer kennt sich aus? Z. B. find kubernetes networking",
        "ask": "Frage stellen: erst frühere Antworten, dann die Fachleute",
        "bookings": "Deine nächsten Sprechstunden",
        "communities": "Communities zum Beitreten, mit Beitreten und Verlassen",
        "share": "Tipp, Prompt oder Ressource mit einer Community teilen",
        "library": "Tipps, Prompts und Ressourcen deiner Communities durchsuchen",
        "skills": "Deine Fähigkeiten und Stufen",
        "hours": "Deine Sprechstunden: pausieren oder Zeiten hinzufügen",
        "link": "Neuigkeiten einer Community in diesem Kanal, z. B. link community Platform guild",
        "profile": "Dein Profil und die Zeitzone für Zeitangaben",
        "timezone": "Zeiten in einer anderen Zone zeigen, z. B. time zone Europe/Berlin",
    },
}
_COMMAND_STRINGS = {
    "who is": "who",
    "find": "find",
    "ask": "ask",
    "my bookings": "bookings",
    "communities": "communities",
    "share": "share",
    "library": "library",
    "my skills": "skills",
    "my office hours": "hours",
    "link community": "link",
    "profile": "profile",
    "time zone": "timezone",
}


def build_manifest(settings: AppSettings) -> dict[str, Any]:
    en = STRINGS["en"]
    base = f"https://{settings.domain}"
    domains = list(dict.fromkeys([settings.domain, *settings.extra_domains]))
    manifest: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": settings.version,
        "id": settings.app_id,
        "localizationInfo": {
            "defaultLanguageTag": "en-us",
            "additionalLanguages": [{"languageTag": "de", "file": "de.json"}],
        },
        "developer": {
            "name": settings.developer_name,
            "websiteUrl": settings.website_url or base,
            "privacyUrl": settings.privacy_url or f"{base}/privacy",
            "termsOfUseUrl": settings.terms_url or f"{base}/terms",
        },
        "name": {"short": en["name.short"], "full": en["name.full"]},
        "description": {"short": en["description.short"], "full": en["description.full"]},
        "icons": {"color": COLOR, "outline": OUTLINE},
        "accentColor": icons.ACCENT,
        "bots": [
            {
                "botId": settings.bot_id,
                "scopes": ["personal", "team", "groupChat"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": ["personal"], "commands": _commands(PERSONAL_COMMANDS)},
                    {"scopes": ["team", "groupChat"], "commands": _commands(TEAM_COMMANDS)},
                ],
            }
        ],
        "composeExtensions": [
            {
                "botId": settings.bot_id,
                "commands": [
                    {
                        "id": SEARCH_COMMAND,
                        "type": "query",
                        "title": en["search.title"],
                        "description": en["search.description"],
                        "initialRun": False,
                        "context": ["compose", "commandBox"],
                        "semanticDescription": (
                            "Searches the people in the user's organisation who use peerlearn by "
                            "name and returns a card with their time zone and a link to chat."
                        ),
                        "samplePrompts": [
                            {"text": en["search.prompt.1"]},
                            {"text": en["search.prompt.2"]},
                        ],
                        "parameters": [
                            {
                                "name": "query",
                                "title": en["search.parameter.title"],
                                "description": en["search.parameter.description"],
                                "inputType": "text",
                                "semanticDescription": "A person's first name, last name or both.",
                            }
                        ],
                    },
                    {
                        "id": ASK_COMMAND,
                        "type": "action",
                        "title": en["ask.title"],
                        "description": en["ask.description"],
                        "context": ["message"],
                        "fetchTask": False,
                        "parameters": [
                            {
                                "name": "question",
                                "title": "Question",
                                "description": "What you want to know",
                                "inputType": "textarea",
                            }
                        ],
                    },
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": domains,
    }
    if settings.sso_app_id:
        manifest["webApplicationInfo"] = {
            "id": settings.sso_app_id,
            "resource": settings.sso_resource or f"api://{settings.domain}/{settings.sso_app_id}",
        }
    return manifest


def _commands(entries: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"title": title, "description": description} for title, description in entries]


def localization(manifest: Mapping[str, Any], language: str) -> dict[str, Any]:
    """The translation file for `language`, keyed the way the localisation schema wants."""
    strings = STRINGS[language]
    result: dict[str, Any] = {
        "$schema": LOCALIZATION_SCHEMA_URL,
        "name.short": strings["name.short"],
        "name.full": strings["name.full"],
        "description.short": strings["description.short"],
        "description.full": strings["description.full"],
    }
    for li, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        personal = "personal" in command_list["scopes"]
        for ci, command in enumerate(command_list["commands"]):
            key = f"bots[0].commandLists[{li}].commands[{ci}].description"
            title = command["title"]
            if title == "help":
                result[key] = strings["help.personal" if personal else "help.team"]
            else:
                result[key] = strings[_COMMAND_STRINGS[title]]
    commands = manifest["composeExtensions"][0]["commands"]
    for ci, command in enumerate(commands):
        prefix = "search" if command["id"] == SEARCH_COMMAND else "ask"
        result[f"composeExtensions[0].commands[{ci}].title"] = strings[f"{prefix}.title"]
        result[f"composeExtensions[0].commands[{ci}].description"] = strings[
            f"{prefix}.description"
        ]
        if prefix == "search":
            result[f"composeExtensions[0].commands[{ci}].parameters[0].title"] = strings[
                "search.parameter.title"
            ]
            result[f"composeExtensions[0].commands[{ci}].parameters[0].description"] = strings[
                "search.parameter.description"
            ]
            for pi in range(2):
                result[f"composeExtensions[0].commands[{ci}].samplePrompts[{pi}].text"] = strings[
                    f"search.prompt.{pi + 1}"
                ]
    return result


# validation ---------------------------------------------------------------------------------
@cache
def _schema(name: str) -> dict[str, Any]:
    text = (_HERE / "schema" / name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    """JSON Schema `pattern` with Unicode classes (`\\p{L}`), which `re` lacks."""
    if isinstance(instance, str) and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})


def schema_problems(document: Mapping[str, Any], schema_name: str) -> list[str]:
    """Every violation of the official schema (the files say draft-04 but use draft-7 words)."""
    validator = _Validator(_schema(schema_name))
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]


def settings_problems(settings: AppSettings) -> list[str]:
    problems = []
    for name in ("app_id", "bot_id") + (("sso_app_id",) if settings.sso_app_id else ()):
        value = getattr(settings, name)
        try:
            uuid.UUID(value)
        except ValueError:
            problems.append(f"{name.replace('_', '-')} must be a GUID, got {value!r}")
    if not _SEMVER.match(settings.version):
        problems.append(
            f"version must be MAJOR.MINOR.PATCH (Teams requires semver), got {settings.version!r}"
        )
    for domain in (settings.domain, *settings.extra_domains):
        if "://" in domain or "/" in domain or not _DOMAIN.match(domain.lower()):
            problems.append(f"{domain!r} is not a domain name such as peerlearn.contoso.com")
    return problems


def package_problems(data: bytes) -> list[str]:
    """Check a finished zip: flat layout, the files the manifest names, icon sizes, schemas."""
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return ["not a zip file"]
    names = archive.namelist()
    if any("/" in n or "\\" in n for n in names):
        problems.append("every file must sit at the root of the zip (no folders)")
    if "manifest.json" not in names:
        return [*problems, "manifest.json is missing"]
    manifest = json.loads(archive.read("manifest.json"))
    problems += [
        f"manifest.json {p}" for p in schema_problems(manifest, "MicrosoftTeams.schema.json")
    ]
    for key, size, transparent in (("color", 192, False), ("outline", 32, True)):
        name = manifest.get("icons", {}).get(key)
        if name not in names:
            problems.append(f"icon {key} ({name}) is missing from the zip")
            continue
        image = Image.open(io.BytesIO(archive.read(name)))
        if image.format != "PNG":
            problems.append(f"icon {key} must be a PNG")
        if image.size != (size, size):
            problems.append(f"icon {key} must be {size}×{size}, is {image.size[0]}×{image.size[1]}")
        if transparent:
            rgba = image.convert("RGBA")
            corners = [rgba.getpixel((x, y)) for x in (0, size - 1) for y in (0, size - 1)]
            if any(isinstance(c, tuple) and c[3] != 0 for c in corners):
                problems.append("the outline icon needs a transparent background")
            colours = {
                c[:3]
                for _, c in rgba.getcolors(size * size) or []
                if isinstance(c, tuple) and c[3] > 0
            }
            if colours - {(255, 255, 255)}:
                problems.append("the outline icon must be white on transparency")
    for language in manifest.get("localizationInfo", {}).get("additionalLanguages", []):
        name = language.get("file")
        if name not in names:
            problems.append(f"translation {name} is missing from the zip")
            continue
        document = json.loads(archive.read(name))
        problems += [
            f"{name} {p}"
            for p in schema_problems(document, "MicrosoftTeams.Localization.schema.json")
        ]
    return problems


def build_package(settings: AppSettings) -> tuple[bytes, dict[str, Any]]:
    """The zip bytes and the manifest; raises `InvalidPackage` instead of returning a bad one."""
    problems = settings_problems(settings)
    if problems:
        raise InvalidPackage(problems)
    manifest = build_manifest(settings)
    files: dict[str, bytes] = {
        "manifest.json": json.dumps(manifest, indent=2, ensure_ascii=False).encode(),
        COLOR: icons.png(icons.color_icon()),
        OUTLINE: icons.png(icons.outline_icon()),
    }
    for language in manifest["localizationInfo"]["additionalLanguages"]:
        files[language["file"]] = json.dumps(
            localization(manifest, language["languageTag"]), indent=2, ensure_ascii=False
        ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    data = out.getvalue()
    problems = package_problems(data)
    if problems:
        raise InvalidPackage(problems)
    return data, manifest
