"""The one TOML line finder behind every ``FILE:LINE: field`` error of the config file and the collections
policy (there were two, and the policy's matched a key by its prefix)."""

from __future__ import annotations

from console.settings.toml_lines import line_of

TEXT = """\
[partner]
name = "Sakura Cloud"

[[partner.competencies]]
name = "Cloud Platform"
level = "gold"

[[partner.competencies]]
name = "Modern Work"
level = "silver"

[microsoft]
days_before = 3
days = 5

[microsoft.gdap_task_roles]
diagnose = ["Global Reader"]

[[stage]]
days = 0

[[stage]]
days = 30
"""


def test_keys_in_tables_and_in_arrays_of_tables() -> None:
    assert line_of(TEXT, "partner.name") == 2
    assert line_of(TEXT, "partner.competencies.1.level") == 10
    assert line_of(TEXT, "partner.competencies.0.name") == 5
    assert line_of(TEXT, "stage.1") == 22 and line_of(TEXT, "stage.1.days") == 23


def test_a_key_is_matched_whole_not_by_its_prefix() -> None:
    assert line_of(TEXT, "microsoft.days") == 14  # not days_before on line 13


def test_a_table_named_by_its_dotted_name_and_what_is_not_there() -> None:
    assert line_of(TEXT, "microsoft.gdap_task_roles") == 16
    assert line_of(TEXT, "microsoft.gdap_task_roles.diagnose") == 17
    assert line_of(TEXT, "console.refresh_ms") is None
    assert line_of(TEXT, "stage.5.days") is None
