"""The lock files in requirements/ are what gets installed, and they satisfy pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)(?: ; (.+?))? \\$", re.MULTILINE)


def _pins(name: str) -> dict[str, tuple[Version, str | None]]:
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return {
        canonicalize_name(pkg): (Version(version), marker)
        for pkg, version, marker in PIN.findall(text)
    }


def _applies(marker: str | None) -> bool:
    return not marker or Marker(marker).evaluate()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.mark.parametrize("lock", ["main.txt", "test.txt"])
def test_every_pin_has_a_hash(lock):
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert blocks and all("--hash=sha256:" in block for block in blocks if "==" in block)


@pytest.mark.parametrize(
    ("lock", "groups"), [("main.txt", ()), ("test.txt", ("test",))]
)
def test_lock_satisfies_pyproject(lock, groups):
    project = _project()
    wanted = list(project["dependencies"])
    for group in groups:
        wanted += project["optional-dependencies"][group]
    pins = _pins(lock)
    for line in wanted:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in {lock}: run make lock"
        assert req.specifier.contains(pins[name][0], prereleases=True), (
            f"{lock} pins {req.name}=={pins[name][0]}, outside {req.specifier}: run make lock"
        )


def test_installed_packages_are_the_locked_ones():
    """`make test` installed exactly the test lock's versions (nothing resolved on the fly)."""
    for name, (version, marker) in _pins("test.txt").items():
        if not _applies(marker):
            continue
        assert Version(metadata.version(name)) == version, f"{name}: installed != locked"


def test_license_is_an_spdx_expression():
    """A TOML table here makes setuptools warn on every install (PEP 639 wants a string)."""
    project = _project()
    assert project["license"] == "Apache-2.0"
    assert all((ROOT / path).is_file() for path in project["license-files"])
