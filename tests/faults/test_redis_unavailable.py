"""Redis down or restarted (channel layer and Celery broker): a run goes on
when its broadcasts fail, a websocket whose group a restarted Redis forgot
joins again on the client's resync, and the Redis-mode settings survive
redis-py 8's read timeout and a restart. The whole restart, with real
processes, is `python -m bench redis`."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings

from apps.agents import events
from apps.agents.events import run_event_publish, run_group
from apps.agents.models import Agent, Run, RunEvent
from apps.agents.services import run_create, run_execute
from owm.routing import websocket_urlpatterns
from tests.fakes.llm_server import ScriptedLLMServer

ROOT = Path(__file__).resolve().parent.parent.parent


class DownLayer:
    """A channel layer whose Redis refuses every connection."""

    def __init__(self) -> None:
        self.attempts = 0

    async def group_send(self, group: str, message: dict) -> None:
        from redis.exceptions import ConnectionError as RedisConnectionError

        self.attempts += 1
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.mark.django_db
def test_a_run_succeeds_while_every_broadcast_fails(
    scenario, settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    settings.EMBEDDED = False  # the Redis path of broadcast
    layer = DownLayer()
    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    settings.OWM_LLM_STREAM = False
    settings.OWM_LLM_MAX_RETRIES = 0
    agent = Agent.objects.create(
        slug="redis-down", name="Redis down", system_prompt="-", tool_names=["check_stock_levels"]
    )
    with ScriptedLLMServer() as server, caplog.at_level(logging.WARNING, logger=events.__name__):
        settings.OWM_LLM_BASE_URL = server.base_url
        settings.OWM_LLM_API_KEY = "test-key"
        server.add_tool_calls([("check_stock_levels", {"product_ids": ["SKU-1001"]})])
        server.add_text("SKU-1001: 18 units.")
        with django_capture_on_commit_callbacks(execute=True):
            run = run_create(agent=agent, user=scenario.operator, text="check SKU-1001")
            run = run_execute(run_id=str(run.pk))
        assert events.broadcasts_drain(timeout=30)
    assert run.status == Run.Status.SUCCEEDED, run.error
    persisted = list(RunEvent.objects.filter(run=run).values_list("type", flat=True))
    assert persisted[0] == "run.queued" and persisted[-1] == "run.finished"
    assert layer.attempts >= len(persisted)  # every event was tried, none got through
    assert sum("could not broadcast" in r.getMessage() for r in caplog.records) == len(persisted)


class RestartedLayer:
    """A channel layer whose pooled connection a restarted Redis closed: the
    first command on it fails, the next one reconnects."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.failed = 0

    async def group_send(self, group: str, message: dict) -> None:
        from redis.exceptions import ConnectionError as RedisConnectionError

        if not self.failed:
            self.failed += 1
            raise RedisConnectionError("Connection closed by server.")
        self.sent.append(message)


def test_a_broadcast_on_a_connection_a_restart_closed_reconnects_and_goes_through(
    settings, monkeypatch, caplog
):
    settings.EMBEDDED = False
    layer = RestartedLayer()
    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    with caplog.at_level(logging.WARNING, logger=events.__name__):
        events.broadcast("run-1", {"seq": 1, "type": "tool.started"})
        assert events.broadcasts_drain(timeout=5)
    assert [m["event"]["seq"] for m in layer.sent] == [1]
    assert not caplog.records


app = URLRouter(websocket_urlpatterns)


@pytest.mark.skipif(
    not settings.EMBEDDED,
    reason="the in-memory layer stands in for a Redis that forgot the group; the real "
    "restart, with real processes, is `python -m bench redis`",
)
@pytest.mark.django_db(transaction=True)
async def test_a_client_whose_group_redis_forgot_gets_live_events_again_after_a_resync(scenario):
    agent, _ = await sync_to_async(Agent.objects.get_or_create)(
        slug="ws-redis", defaults={"name": "WS", "system_prompt": "-"}
    )
    run = await sync_to_async(Run.objects.create)(agent=agent, user=scenario.operator, input="hi")
    communicator = WebsocketCommunicator(app, f"/ws/runs/{run.pk}/")
    communicator.scope["user"] = scenario.operator
    connected, _ = await communicator.connect()
    assert connected
    await sync_to_async(run_event_publish)(run=run, event_type="tool.started", data={})
    assert (await communicator.receive_json_from(timeout=2))["seq"] == 1
    # Redis restarted: the group's members are gone, the socket is still open.
    layer = get_channel_layer()
    for channel in list(layer.groups.get(run_group(run.pk), {})):
        await layer.group_discard(run_group(run.pk), channel)
    await sync_to_async(run_event_publish)(run=run, event_type="tool.finished", data={})
    assert await communicator.receive_nothing(timeout=0.3)  # lost on the live path
    await communicator.send_json_to({"type": "resync", "after": 1})
    assert (await communicator.receive_json_from(timeout=2))["seq"] == 2  # from the database
    await sync_to_async(run_event_publish)(run=run, event_type="run.finished", data={})
    live = await communicator.receive_json_from(timeout=2)
    assert (live["seq"], live["type"]) == (3, "run.finished")  # live again
    await communicator.disconnect()


def redis_mode_settings(var_dir: Path) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "host = s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]; "
        "retry = s.CACHES['default']['OPTIONS']['retry']; "
        "print(json.dumps({'socket_timeout': host['socket_timeout'], "
        "'layer_retry': 'retry' in host, 'cache_retries': retry.get_retries(), "
        "'max_retries': s.CELERY_BROKER_CONNECTION_MAX_RETRIES, "
        "'cancel': s.CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS, "
        "'recover': s.CELERY_BEAT_SCHEDULE['runs-recover']['task']}))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "owm.settings",
        "OWM_VAR_DIR": str(var_dir),
        "REDIS_URL": "redis://127.0.0.1:6399/0",  # never connected to
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_redis_mode_outlasts_the_blocking_receive_and_retries_a_restarted_redis(tmp_path):
    from channels_redis.core import RedisChannelLayer

    found = redis_mode_settings(tmp_path)
    # redis-py 8's default read timeout (5 s) equals the layer's blocking pop:
    # idle consumers died every 5 s. Ours must exceed it.
    assert found["socket_timeout"] > RedisChannelLayer.brpop_timeout
    assert found["layer_retry"] is False  # a consumer fails on a restart; its client rejoins
    assert found["cache_retries"] >= 1  # the circuit breaker's cache rides out a restart
    assert found["max_retries"] is None  # workers wait for the broker as long as it takes
    assert found["cancel"] is False  # runs in flight finish instead of being cancelled
    assert found["recover"] == "apps.agents.tasks.runs_recover_due"


@pytest.mark.django_db
def test_a_run_is_stored_and_answered_when_the_broker_is_down(
    scenario, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    """The API does not fail a request whose run is already stored: the
    stale-run re-queue sends it once the broker is back."""
    from kombu.exceptions import OperationalError as BrokerError

    from apps.agents import tasks

    def broker_down(*args: object, **kwargs: object) -> None:
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.run_agent, "delay", broker_down)
    agent = Agent.objects.create(slug="broker-down", name="Broker down", system_prompt="-")
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        run = run_create(agent=agent, user=scenario.operator, text="check SKU-1001")
    assert Run.objects.get(pk=run.pk).status == Run.Status.QUEUED
    assert any("re-queued later" in r.getMessage() for r in caplog.records)


def test_the_circuit_breaker_fails_open_when_its_cache_is_down(monkeypatch):
    from apps.agents import breaker

    class DownCache:
        def get(self, *args: object, **kwargs: object) -> None:
            raise ConnectionError("cache down")

        set = delete = get

    monkeypatch.setattr(breaker, "cache", DownCache())
    assert breaker.breaker_allows("primary") is True
    breaker.breaker_success("primary")
    assert breaker.breaker_failure("primary").failures == 1
