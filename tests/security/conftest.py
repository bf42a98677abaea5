"""The security suite's figures plugin, registered once (``tests/conftest.py`` may list it already)."""

from __future__ import annotations

import pytest

PLUGIN = "tests.security.figures"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.import_plugin(PLUGIN)
