"""The config file: defaults, the demo profile, and errors that name the line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.settings.config import DEMO_CONFIG, ConfigError, load_config, write_demo_config


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "none.toml")
    assert not config.loaded_from_file
    assert not config.partner.contracts.advanced_support
    assert config.partner.competencies == ()


def test_demo_profile_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    assert write_demo_config(path)
    assert not write_demo_config(path)  # never overwrites
    config = load_config(path)
    assert config.partner.name == "Sakura Cloud Partners"
    assert config.partner.contracts.advanced_support and not config.partner.contracts.premier_support
    assert [(c.name, c.level, c.cloud) for c in config.partner.competencies] == [
        ("Cloud Platform", "gold", True),
        ("Cloud Productivity", "silver", True),
    ]
    again = tmp_path / "again.toml"
    again.write_text(config.to_toml(), encoding="utf-8")
    assert load_config(again).partner == config.partner


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('[partner]\nname = "x"\nname = "y"\n', ":3", "malformed TOML"),
        ("[partner]\nname = 5\n", ":2", "partner.name: expected str"),
        (
            "[partner]\n[partner.contracts]\npremier_suport = true\n",
            ":3",
            "partner.contracts.premier_suport: unknown key",
        ),
        ('[partner.contracts]\nadvanced_support = "yes"\n', ":2", "expected bool"),
        (
            '[partner]\nname = "x"\n\n[[partner.competencies]]\nname = "Cloud"\nlevel = "platinum"\n',
            ":6",
            "gold or silver",
        ),
        ('[partnr]\nname = "x"\n', ":1", "partnr: unknown key"),
    ],
)
def test_malformed_config_names_line_and_key(tmp_path: Path, text: str, where: str, words: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}{where}"), message
    assert words in message


def test_demo_config_is_valid_toml() -> None:
    import tomllib

    assert tomllib.loads(DEMO_CONFIG)["partner"]["contracts"]["advanced_support"] is True


@pytest.mark.parametrize(
    ("text", "line", "named", "command"),
    [
        ('[partner]\nname = "x"\n\n[roles]\n"agents.manage" = ["helpdesk_agent"]\n', 4, "[roles]", "roles.ACTION"),
        ('[sla]\nservice_hours = "mon-fri 09:00-18:00"\n', 1, "[sla]", "sla.KEY"),
        ("[sla.first_response_hours]\ncritical = 1\n", 1, "[sla]", "sla.KEY"),
        ('[console]\ntheme = "nord"\nclaim_minutes = 600\n', 3, "[console] claim_minutes", "claim_minutes"),
        ('[console]\ntime_zone = "Asia/Tokyo"\n', 2, "[console] time_zone", "time_zone"),
    ],
)
def test_a_desk_rule_in_a_config_file_is_refused_naming_where_it_lives_now(
    tmp_path: Path, text: str, line: int, named: str, command: str
) -> None:
    """Issue 18: a helpdesk agent wrote ``[roles] "agents.manage" = ["helpdesk_agent"]`` in their own file and
    became a Global admin. The desk's rules now live in the workspace: a file that sets one is refused, never
    read, and the message says where the rule is set now."""
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: {named} is a desk rule: it lives in the workspace"), message
    assert f"a Global admin sets it with csp-console policy set {command}" in message, message


def test_an_unknown_gdap_role_is_named_by_file_and_line_when_the_config_is_read(tmp_path: Path) -> None:
    """Found in review: a misspelt role failed only at the first escalation, without its place."""
    path = tmp_path / "config.toml"
    write_demo_config(path)
    text = path.read_text(encoding="utf-8") + '\n[microsoft.gdap_task_roles]\ndiagnose = ["Chief Wizard"]\n'
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index('diagnose = ["Chief Wizard"]') + 1
    with pytest.raises(ConfigError, match=rf"config\.toml:{line}: .*'Chief Wizard' is neither"):
        load_config(path)


def test_gdap_task_roles_are_read_without_touching_the_role_map(tmp_path: Path) -> None:
    """Found by mypy: the GDAP check's loop reused the name ``roles``, so a file with ``[roles]`` and
    ``[microsoft.gdap_task_roles]`` came back with the last task's Entra role names as the desk's role map. The
    role map is the workspace's now; the file's GDAP roles still leave it alone."""
    path = tmp_path / "config.toml"
    path.write_text('[microsoft.gdap_task_roles]\ndiagnose = ["Helpdesk Administrator"]\n', encoding="utf-8")
    config = load_config(path)
    assert config.roles == {}
    assert config.microsoft.gdap_task_roles == {"diagnose": ["Helpdesk Administrator"]}


def test_a_competency_without_a_level_names_its_table_line(tmp_path: Path) -> None:
    """Found moving to declared shapes: the old check printed ``config.toml:None:`` for a missing level."""
    path = tmp_path / "config.toml"
    path.write_text('[partner]\nname = "x"\n\n[[partner.competencies]]\nname = "Cloud"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.toml:4: partner\.competencies\.0: 'level' is required"):
        load_config(path)


def test_a_key_with_an_escape_sequence_is_shown_literally(tmp_path: Path) -> None:
    """An unknown or mistyped key is untrusted text: its escape sequence must not reach the terminal."""
    path = tmp_path / "config.toml"
    path.write_text('[keys]\n"queue\\u001b[31m" = 5\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "\x1b" not in str(info.value)
    assert "keys.queue\u241b[31m: expected str, got int" in str(info.value)


def test_the_theme_is_one_of_textuals_and_a_wrong_one_is_named_by_file_line_and_key(tmp_path: Path) -> None:
    from textual.theme import BUILTIN_THEMES

    from console.settings.shapes import THEMES

    assert set(THEMES) == set(BUILTIN_THEMES)  # the list the config accepts is Textual's
    path = tmp_path / "config.toml"
    assert load_config(path).theme == "textual-dark"
    path.write_text('[console]\nrefresh_ms = 800\ntheme = "textual-light"\n', encoding="utf-8")
    assert load_config(path).theme == "textual-light"
    assert 'theme = "textual-light"' in load_config(path).to_toml()
    path.write_text('[console]\nrefresh_ms = 800\ntheme = "solarised"\n', encoding="utf-8")
    wrong = r"config\.toml:3: console\.theme 'solarised' is not a theme \(one of textual-dark, textual-light, "
    with pytest.raises(ConfigError, match=wrong):
        load_config(path)
    path.write_text("[console]\ntheme = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.toml:2: console\.theme: expected str, got int"):
        load_config(path)
