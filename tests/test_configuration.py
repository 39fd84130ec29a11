"""Configuration is declared in app/config.py, read from the environment there alone, and
documented in one table of docs/operations.md that cannot drift from the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app.config import DISTRICT_SETTINGS, Settings, environment_variables

ROOT = Path(__file__).resolve().parent.parent
# process plumbing, not configuration (see app/config.py): the test clock and a worker's master
PLUMBING = {"app/clock.py", "app/serving.py", "app/cli/serve.py"}


def _documented() -> dict[str, tuple[str, str]]:
    """name -> (from, default) of each row of the table under "## Configuration"."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    tables = re.findall(r"(?:^\|.*\|\n)+", section, re.MULTILINE)
    assert len(tables) == 1, "the Configuration section has one table"
    rows = {}
    for line in tables[0].splitlines()[2:]:
        name, source, default, meaning = (c.strip() for c in line.strip("|").split(" | "))
        assert meaning, f"{name} has no meaning"
        rows[name.strip("`")] = (source, default)
    return rows


def _expected() -> dict[str, tuple[str, str]]:
    expected = {
        name: ("environment", f"`{default}`" if default else "—")
        for name, default in environment_variables().items()
    }
    for key, setting in DISTRICT_SETTINGS.items():
        expected[key] = ("settings table", f"`{setting.shown_default()}`")
    return expected


def test_the_configuration_table_lists_every_setting_with_its_source_and_default():
    assert _documented() == _expected()


def test_every_settings_field_is_read_from_a_variable_of_its_own():
    assert len(environment_variables()) == len(Settings.__dataclass_fields__)


def test_only_app_config_reads_the_environment_besides_the_process_plumbing():
    readers = set()
    for path in (ROOT / "app").rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("app/migrations/") or relative == "app/config.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
                readers.add(relative)
    assert readers == PLUMBING


def test_variables_are_parsed_by_type(tmp_path):
    settings = Settings.from_env({
        "HUAJIE_DATA": str(tmp_path), "HUAJIE_SCHEDULER": "0", "HUAJIE_SMTP_HOST": "mail.gov",
        "HUAJIE_SMTP_PORT": " 587 ", "HUAJIE_SMTP_STARTTLS": "yes", "HUAJIE_PROXY_HOPS": "2",
        "HUAJIE_OIDC_ISSUER": "https://sso.gov/", "HUAJIE_LOCK_TIMEOUT_SECONDS": "2.5",
    })  # fmt: skip
    assert settings.data_dir == tmp_path.resolve()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'huajie.sqlite3'}"
    assert settings.audit_key_file == tmp_path.resolve() / "audit.key"
    assert (settings.run_scheduler, settings.smtp_enabled, settings.smtp_port) == (False, True, 587)
    assert (settings.smtp_starttls, settings.proxy_hops, settings.lock_timeout_s) == (True, 2, 2.5)
    assert settings.oidc_issuer == "https://sso.gov"
    plain = Settings.from_env({"HUAJIE_DATA": str(tmp_path)})
    assert (plain.run_scheduler, plain.smtp_enabled, plain.secure_cookies) == (True, False, False)
    assert plain.secret_key == (tmp_path / "secret_key").read_text()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("HUAJIE_SMTP_PORT", "twenty-five", "HUAJIE_SMTP_PORT 须为整数：'twenty-five'"),
        ("HUAJIE_SESSION_IDLE_MINUTES", "0", "HUAJIE_SESSION_IDLE_MINUTES 不能小于 1：'0'"),
        ("HUAJIE_LOCK_TIMEOUT_SECONDS", "soon", "HUAJIE_LOCK_TIMEOUT_SECONDS 须为数字：'soon'"),
    ],
)
def test_a_malformed_number_stops_the_process_naming_its_variable(
    tmp_path, variable, value, message
):
    with pytest.raises(SystemExit, match=re.escape(message)):
        Settings.from_env({"HUAJIE_DATA": str(tmp_path), variable: value})
