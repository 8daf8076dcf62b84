"""The Teams app package: valid against the official v1.29 schemas, right layout and icons,
en + de strings, and never written when something is wrong."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from app.cli import cli
from bot import communities, expert_tools
from bot.features import INTENTS as FEATURE_INTENTS
from bot.handler import INTENTS
from bot.parsing import parse
from manifest.package import (
    AppSettings,
    InvalidPackage,
    build_package,
    package_problems,
    schema_problems,
)

APP_ID = "6f0c2a3e-8c1d-4b7a-9e2f-3a4b5c6d7e8f"
BOT_ID = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
SETTINGS = AppSettings(app_id=APP_ID, bot_id=BOT_ID, domain="peerlearn.contoso.com")


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_the_package_passes_the_official_schema_with_flat_layout_and_real_icons() -> None:
    data, manifest = build_package(SETTINGS)
    files = unzip(data)
    assert sorted(files) == ["color.png", "de.json", "manifest.json", "outline.png"]
    assert schema_problems(json.loads(files["manifest.json"]), "MicrosoftTeams.schema.json") == []
    color = Image.open(io.BytesIO(files["color.png"]))
    outline = Image.open(io.BytesIO(files["outline.png"])).convert("RGBA")
    assert color.size == (192, 192)
    assert outline.size == (32, 32)
    assert outline.getpixel((0, 0))[3] == 0
    assert (
        len(color.convert("RGB").getcolors(192 * 192) or []) > 50
    )  # a drawn tile, not a flat square
    assert manifest["bots"][0]["scopes"] == ["personal", "team", "groupChat"]
    assert manifest["validDomains"] == ["peerlearn.contoso.com"]
    assert "webApplicationInfo" not in manifest
    search = manifest["composeExtensions"][0]["commands"][0]
    assert search["semanticDescription"] and search["samplePrompts"]


def test_german_strings_ship_and_validate() -> None:
    data, _ = build_package(SETTINGS)
    german = json.loads(unzip(data)["de.json"])
    assert schema_problems(german, "MicrosoftTeams.Localization.schema.json") == []
    assert german["composeExtensions[0].commands[1].title"] == "Experten fragen"


def test_single_sign_on_adds_web_application_info() -> None:
    sso = AppSettings(
        app_id=APP_ID, bot_id=BOT_ID, domain="peerlearn.contoso.com", sso_app_id=BOT_ID
    )
    _, manifest = build_package(sso)
    assert manifest["webApplicationInfo"] == {
        "id": BOT_ID,
        "resource": f"api://peerlearn.contoso.com/{BOT_ID}",
    }


def test_every_command_in_the_manifest_is_one_the_bot_understands() -> None:
    _, manifest = build_package(SETTINGS)
    for command_list in manifest["bots"][0]["commandLists"]:
        for command in command_list["commands"]:
            parsed = parse(
                command["title"],
                [*INTENTS, *FEATURE_INTENTS, *communities.INTENTS, *expert_tools.INTENTS],
            )
            assert parsed.name not in ("unknown", "empty"), command["title"]
            assert parsed.understood_as is None


@pytest.mark.parametrize(
    "change",
    [
        {"app_id": "not-a-guid"},
        {"bot_id": "28:fixed-bot-id"},
        {"domain": "https://peerlearn.contoso.com/"},
        {"version": "one"},
    ],
)
def test_bad_settings_never_produce_a_package(change: dict[str, Any]) -> None:
    settings = AppSettings(**{**SETTINGS.__dict__, **change})
    with pytest.raises(InvalidPackage) as caught:
        build_package(settings)
    assert caught.value.problems


def test_a_tampered_package_is_caught() -> None:
    data, _ = build_package(SETTINGS)
    files = unzip(data)
    small = io.BytesIO()
    Image.new("RGBA", (96, 96), (14, 124, 134, 255)).save(small, format="PNG")
    opaque = io.BytesIO()
    Image.new("RGBA", (32, 32), (0, 0, 0, 255)).save(opaque, format="PNG")
    manifest = json.loads(files["manifest.json"])
    manifest["bots"][0]["scopes"].append("everywhere")
    tampered = {
        **files,
        "color.png": small.getvalue(),
        "outline.png": opaque.getvalue(),
        "manifest.json": json.dumps(manifest).encode(),
    }
    del tampered["de.json"]
    tampered["assets/extra.txt"] = b"x"
    problems = "\n".join(package_problems(rezip(tampered)))
    assert "root of the zip" in problems
    assert "192×192" in problems
    assert "transparent background" in problems
    assert "de.json is missing" in problems
    assert "everywhere" in problems
    assert package_problems(b"not a zip") == ["not a zip file"]


def test_the_cli_writes_a_valid_zip_or_nothing(tmp_path: Path) -> None:
    out = tmp_path / "teams.zip"
    runner = CliRunner()
    args = [
        "manifest",
        "build",
        "--app-id",
        APP_ID,
        "--bot-id",
        BOT_ID,
        "--domain",
        "peerlearn.contoso.com",
    ]
    result = runner.invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert package_problems(out.read_bytes()) == []
    bad = tmp_path / "bad.zip"
    result = runner.invoke(cli, [*args[:-1], "not a domain", "--out", str(bad)])
    assert result.exit_code == 2
    assert "not a domain name" in result.output
    assert not bad.exists()
