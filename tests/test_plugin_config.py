"""A plugin's ``[plugins.NAME]`` section of the config file, checked by the plugin's own settings (the
``csp_settings`` hook) and handed to it (``csp_configure``); the desk policy's ``plugins.replace``.

Before, a ``[plugins.intune]`` section stopped every command ("unknown field", issue 21, failure 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.desk.plugin_host import desk_plugins
from console.desk.policy import PolicyError, parse_value
from console.settings.config import load_config
from console.store import Workspace
from tests.conftest import set_policy
from tests.plugin_site import console, install

INTUNE = """
from console.plugin_api import Setting, hookimpl

GIVEN = {}


@hookimpl
def csp_settings():
    return [
        Setting(name="tenant", kind=str, required=True, help="the Intune tenant id"),
        Setting(name="webhook_secret", kind=str, secret=True),
        Setting(name="page_size", kind=int, default=50),
    ]


@hookimpl
def csp_configure(settings):
    GIVEN.update(settings)
    print("configured", sorted(settings.items()), flush=True)
"""


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = '[partner]\nname = "Sakura"\n\n[plugins.intune]\ntenant = "t-1"\nwebhook_secret = "s3cret"\n'


def test_a_plugin_section_no_longer_stops_commands_and_its_secret_is_hidden(tmp_path: Path) -> None:
    site = install(tmp_path / "site", "intune", INTUNE)
    config = _config(tmp_path, GOOD)
    shown = console(site, "config", "show", "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    toml = shown.stdout[shown.stdout.index("# from") :]  # (the test plugin prints what it was given, above)
    assert 'tenant = "t-1"' in toml
    assert "s3cret" not in toml and 'webhook_secret = "(hidden)"' in toml
    assert load_config(config).plugins == {"intune": {"tenant": "t-1", "webhook_secret": "s3cret"}}


def test_the_section_reaches_the_plugin_with_its_defaults(tmp_path: Path) -> None:
    site = install(tmp_path / "site", "intune", INTUNE)
    listed = console(site, "plugins", "--json", "--config", str(_config(tmp_path, GOOD)))
    assert listed.returncode == 0, listed.stderr
    assert "configured [('page_size', 50), ('tenant', 't-1'), ('webhook_secret', 's3cret')]" in listed.stdout


@pytest.mark.parametrize(
    ("section", "line", "words"),
    [
        ('tenant = "t"\npage_size = "fifty"\n', 6, "[plugins.intune] page_size must be a whole number, not 'fifty'"),
        ('tenant = "t"\npages = 3\n', 6, "[plugins.intune] has unknown key 'pages' (the plugin's settings: page_size"),
        ("page_size = 3\n", 4, "[plugins.intune] needs 'tenant': the Intune tenant id"),
    ],
)
def test_a_section_its_plugin_refuses_is_named_with_file_and_line(
    tmp_path: Path, section: str, line: int, words: str
) -> None:
    site = install(tmp_path / "site", "intune", INTUNE)
    config = _config(tmp_path, f'[partner]\nname = "Sakura"\n\n[plugins.intune]\n{section}')
    listed = console(site, "plugins", "--json", "--config", str(config))
    assert listed.returncode == 0, listed.stderr  # the other plugins, and every command, go on
    plugins = json.loads(listed.stdout[listed.stdout.index("[") :])
    errors = next(p for p in plugins if p["name"] == "intune")["errors"]
    assert len(errors) == 1 and errors[0].startswith(f"{config}:{line}: {words}"), errors
    assert "configured" not in listed.stdout  # a refused section is never handed over
    assert all(not p["errors"] for p in plugins if p["name"] != "intune")


def test_a_section_of_a_plugin_not_installed_is_kept_and_shown_hidden(tmp_path: Path) -> None:
    config = _config(tmp_path, '[plugins.absent]\ntoken = "abc"\n')
    shown = console(tmp_path / "nothing", "config", "show", "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    assert "abc" not in shown.stdout and 'token = "(hidden)"' in shown.stdout


ACME = """
from console.plugin_api import Service, hookimpl


@hookimpl
def csp_services():
    return [Service(id="office365", name="Microsoft 365 (Acme)", offer_ids=("CFQ7TTC0LDPB",))]
"""


def test_only_the_desk_policy_lets_another_plugin_provide_a_service(
    demo_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(install(tmp_path / "site", "acme365", ACME)))
    monkeypatch.setenv("CSP_CONSOLE_TEST_INSTALLED_PLUGINS", "1")  # the entry points, as a real console loads them
    monkeypatch.setenv("CSP_CONSOLE_LOAD_PLUGINS", "common,azure,office365,dynamics365,acme365")
    config = load_config(tmp_path / "none.toml")
    before = desk_plugins(demo_ws, config)
    assert before.service_owner["office365"] == "office365"
    assert any(
        "service 'office365' refused: it belongs to plugin 'office365'" in e for e in before.plugins["acme365"].errors
    )
    set_policy(demo_ws, {"plugins.replace": parse_value("plugins.replace", "office365=acme365")})
    granted = desk_plugins(demo_ws, config)
    assert granted.service_owner["office365"] == "acme365"
    assert granted.services["office365"].name == "Microsoft 365 (Acme)"
    assert not [h for h in granted.handlers if h.handler.service == "office365"]  # office365's handlers went too
    assert any("lets plugin 'acme365' provide it" in e for e in granted.plugins["office365"].errors)
    monkeypatch.setenv("CSP_CONSOLE_LOAD_PLUGINS", "common,azure,office365,dynamics365")
    assert desk_plugins(demo_ws, config).service_owner["office365"] == "office365"  # the grantee is not loaded here


def test_the_replace_rule_is_read_and_checked() -> None:
    assert parse_value("plugins.replace", " office365 = acme365 , azure=contoso ") == {
        "office365": "acme365",
        "azure": "contoso",
    }
    assert parse_value("plugins.replace", "") == {}
    with pytest.raises(PolicyError, match="SERVICE=PLUGIN pairs"):
        parse_value("plugins.replace", "office365")
