"""Shared pytest options: --update-snapshots rewrites snapshot tables instead of failing on a change."""

import pytest


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true", default=False,
                     help="rewrite snapshot tables (tests/corpus/verdicts.csv) from the current results")


@pytest.fixture
def update_snapshots(request) -> bool:
    return bool(request.config.getoption("--update-snapshots"))
