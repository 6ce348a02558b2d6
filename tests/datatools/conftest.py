from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from apps.tools.services import ToolOutcome, tool_run
from tests.datatools import fakehttp
from tests.scenario import Scenario, scenario_create


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def people(db: Any) -> Scenario:
    return scenario_create(with_inventory=False)


@pytest.fixture
def stock(db: Any) -> None:
    from apps.inventory.demo import seed_inventory

    seed_inventory()


@pytest.fixture
def fake_http() -> Iterator[fakehttp.FakeServer]:
    server = fakehttp.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def call(people: Scenario):  # type: ignore[no-untyped-def]
    def run(name: str, arguments: Any, actor: Any = None, **kwargs: Any) -> ToolOutcome:
        return tool_run(
            actor=actor or people.operator,
            name=name,
            arguments=arguments,
            source="api",
            **kwargs,
        )

    return run
