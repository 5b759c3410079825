"""Which Chromium the browser tests drive: Debian's, else a Playwright-managed one, else none (they skip)."""

import stat

from quality_movies_tests.ui import conftest
from quality_movies_tests.ui.conftest import chromium_executable


def _executable(path):
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_debian_chromium_comes_first_then_one_on_path_then_playwrights(tmp_path, monkeypatch):
    debian, on_path, managed = (tmp_path / name for name in ("debian", "bin", "managed"))
    on_path.mkdir()
    monkeypatch.setattr(conftest, "DEBIAN_CHROMIUM", _executable(debian))
    monkeypatch.setenv("PATH", str(on_path))
    assert chromium_executable(_executable(managed)) == str(debian)

    monkeypatch.setattr(conftest, "DEBIAN_CHROMIUM", str(tmp_path / "not-installed"))
    assert chromium_executable(str(managed)) == str(managed)
    _executable(on_path / "chromium")
    assert chromium_executable(str(managed)) == str(on_path / "chromium")


def test_without_any_chromium_there_is_none_to_drive(tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "DEBIAN_CHROMIUM", str(tmp_path / "not-installed"))
    monkeypatch.setenv("PATH", str(tmp_path))
    (tmp_path / "managed").write_text("not executable")

    assert chromium_executable(str(tmp_path / "managed")) is None
    assert chromium_executable(None) is None
