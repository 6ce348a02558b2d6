from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from apps.rules.models import RuleConstant
from apps.tools.services import ToolOutcome, tool_run
from tests.datatools import fakehttp
from tests.scenario import Scenario, scenario_create


@pytest.fixture
def people(db: Any) -> Scenario:
    return scenario_create(with_inventory=False)


@pytest.fixture
def manager(people: Scenario) -> User:
    user = User.objects.create_user(username="mona", password="mona-pass", email="mona@example.com")
    user.groups.add(Group.objects.get(name="manager"))
    return user


@pytest.fixture
def sla(db: Any) -> RuleConstant:
    return RuleConstant.objects.create(name="sla_threshold", value=500)


@pytest.fixture
def fake_http() -> Iterator[fakehttp.FakeServer]:
    server = fakehttp.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def operations(fake_http: fakehttp.FakeServer) -> Any:
    from apps.notifications.services import notification_channel_create

    return notification_channel_create(
        name="operations", kind="webhook", target=fake_http.url("/ops")
    )


@pytest.fixture
def call(people: Scenario):  # type: ignore[no-untyped-def]
    def run(name: str, arguments: Any, actor: Any = None, **kwargs: Any) -> ToolOutcome:
        return tool_run(
            actor=actor or people.operator, name=name, arguments=arguments, source="api", **kwargs
        )

    return run
