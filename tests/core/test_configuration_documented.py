import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_TEXT = "\n".join(path.read_text() for path in sorted((ROOT / "project" / "settings").glob("*.py")))
SETTINGS_VARIABLES = sorted(set(re.findall(r'env\.(?:str|int|bool|float|list|db)\(\s*"([A-Z0-9_]+)"', SETTINGS_TEXT)))


def _documented(name: str, text: str) -> bool:
    # A table row may abbreviate a family: `TELEMETRY_RETENTION_IMU_DAYS` / `_OTHER_DAYS`.
    abbreviations = re.findall(r"`(_[A-Z0-9_]+)`", text)
    return f"`{name}`" in text or any(name.endswith(suffix) for suffix in abbreviations)


def test_every_setting_read_from_the_environment_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert SETTINGS_VARIABLES, "no variables found: the pattern no longer matches project/settings/"
    assert [name for name in SETTINGS_VARIABLES if not _documented(name, table)] == []


def test_every_setting_read_from_the_environment_is_in_env_example():
    example = (ROOT / ".env.example").read_text()
    assert [name for name in SETTINGS_VARIABLES if not re.search(rf"^#? ?{name}=", example, re.M)] == []
