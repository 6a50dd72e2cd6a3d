"""The dependency locks: the runtime lock (make run, make stack, the image) holds no package
only the tests need, every lock line is pinned and hashed, and both locks agree with
pyproject.toml."""

import re
import tomllib

import pytest

from tests.servers import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement(text: str) -> tuple[str, str]:
    name, _, version = re.sub(r"\[.*?\]", "", text).partition("==")
    return canonical(name), version


def lock(name: str) -> dict[str, str]:
    """Package → version of a compiled lock (requirements/<name>.txt)."""
    text = (ROOT / "requirements" / f"{name}.txt").read_text()
    entries = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._\[\],-]*)==(\S+)", text, re.M)
    return {canonical(re.sub(r"\[.*?\]", "", package)): version for package, version in entries}


RUNTIME = dict(requirement(line) for line in PYPROJECT["project"]["dependencies"])
TEST_ONLY = dict(requirement(line) for line in PYPROJECT["project"]["optional-dependencies"]["test"])


def test_every_dependency_is_pinned_exactly_and_python_is_311_or_newer():
    assert all(version for version in [*RUNTIME.values(), *TEST_ONLY.values()])
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


@pytest.mark.parametrize("name", ["runtime", "test"])
def test_every_locked_package_carries_its_hashes(name):
    text = (ROOT / "requirements" / f"{name}.txt").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    pinned = [block for block in blocks if "==" in block.splitlines()[0]]
    assert pinned and all("--hash=sha256:" in block for block in pinned)


def test_the_runtime_lock_pulls_in_no_test_only_package():
    runtime = lock("runtime")
    for package, version in RUNTIME.items():
        assert runtime.get(package) == version, package
    leaked = sorted(set(TEST_ONLY) & set(runtime))
    assert leaked == [], f"test-only packages in the runtime lock: {leaked}"
    # Nor what those bring (pytest's plugins, moto's and Playwright's trees).
    assert not [package for package in runtime if package.startswith(("pytest", "moto", "playwright", "hypothesis"))]


def test_the_test_lock_is_the_runtime_lock_plus_the_tests_packages():
    runtime, test = lock("runtime"), lock("test")
    assert {package: test.get(package) for package in runtime} == runtime
    for package, version in TEST_ONLY.items():
        assert test.get(package) == version, package
