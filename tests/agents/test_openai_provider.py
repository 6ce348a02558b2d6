"""OpenAICompatibleClient driving the real openai SDK against a scripted server over HTTP."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from apps.agents.llm import LLMError, ToolCallRequest, Usage
from apps.agents.providers.openai_compat import OpenAICompatibleClient, client_from_settings
from tests.fakes.llm_server import ScriptedLLMServer

MODEL = "kimi-k2-0905-preview"
STOCK_TOOL = {
    "type": "function",
    "function": {
        "name": "check_stock_levels",
        "description": "Stock on hand for products.",
        "parameters": {
            "type": "object",
            "properties": {"product_ids": {"type": "array", "items": {"type": "string"}}},
            "required": ["product_ids"],
        },
    },
}
USER = {"role": "user", "content": "Is SKU-1001 in stock?"}
FAST_RETRY = {"retry-after-ms": "1"}  # the SDK honours it, so retry tests stay fast


@pytest.fixture
def server() -> Iterator[ScriptedLLMServer]:
    with ScriptedLLMServer(models=[MODEL]) as srv:
        yield srv


def make_client(server: ScriptedLLMServer, **overrides: object) -> OpenAICompatibleClient:
    options: dict[str, object] = {
        "base_url": server.base_url,
        "api_key": "sk-test-secret",
        "model": MODEL,
        "timeout": 5.0,
        "max_retries": 2,
    }
    options.update(overrides)
    return OpenAICompatibleClient(**options)  # type: ignore[arg-type]


def test_tool_call_turn_keeps_kimi_ids_exactly(server: ScriptedLLMServer) -> None:
    server.add_tool_calls([("check_stock_levels", {"product_ids": ["SKU-1001"]})])

    completion = make_client(server).complete(messages=[USER], tools=[STOCK_TOOL])

    assert completion.finish_reason == "tool_calls"
    assert completion.content is None
    assert completion.tool_calls == [
        ToolCallRequest(
            id="functions.check_stock_levels:0",
            name="check_stock_levels",
            arguments='{"product_ids": ["SKU-1001"]}',
        )
    ]
    assert completion.model == MODEL
    assert completion.duration_ms > 0


def test_multi_turn_conversation_sends_tools_settings_and_tool_messages_unchanged(
    server: ScriptedLLMServer,
) -> None:
    server.add_tool_calls([("check_stock_levels", {"product_ids": ["SKU-1001"]}, "call-XyZ_1")])
    server.add_text("SKU-1001 has 42 units in stock.")
    client = make_client(server)
    messages = [{"role": "system", "content": "You manage stock."}, USER]

    first = client.complete(messages=messages, tools=[STOCK_TOOL])
    messages.append(first.as_message())
    tool_message = {
        "role": "tool",
        "tool_call_id": "call-XyZ_1",
        "name": "check_stock_levels",
        "content": json.dumps({"SKU-1001": 42}),
    }
    messages.append(tool_message)
    second = client.complete(messages=messages, tools=[STOCK_TOOL])

    assert second.content == "SKU-1001 has 42 units in stock."
    assert second.finish_reason == "stop"
    assert second.tool_calls == []
    assert len(server.chat_requests) == 2
    for recorded in server.chat_requests:
        assert recorded.body is not None
        assert recorded.body["model"] == MODEL
        assert recorded.body["tools"] == [STOCK_TOOL]
        assert recorded.body["tool_choice"] == "auto"
        assert recorded.body["temperature"] == 0.6
        assert recorded.body["max_tokens"] == 2048
        assert "stream" not in recorded.body
    sent = server.chat_requests[1].body["messages"]  # type: ignore[index]
    assert sent[-1] == tool_message
    assert sent[-2]["tool_calls"][0]["id"] == "call-XyZ_1"
    assert sent[-2]["tool_calls"][0]["function"]["arguments"] == '{"product_ids": ["SKU-1001"]}'


def test_no_tools_omits_tools_and_tool_choice(server: ScriptedLLMServer) -> None:
    server.add_text("hello")

    make_client(server).complete(messages=[USER], tools=[])

    body = server.chat_requests[0].body
    assert body is not None
    assert "tools" not in body
    assert "tool_choice" not in body


def test_streaming_text_deltas_reach_on_text_in_order_and_are_assembled(
    server: ScriptedLLMServer,
) -> None:
    answer = "SKU-1001 has 42 units; SKU-1002 is out of stock."
    server.add_text(answer)
    deltas: list[str] = []

    completion = make_client(server, stream=True).complete(
        messages=[USER], tools=[STOCK_TOOL], on_text=deltas.append
    )

    assert len(deltas) >= 3
    assert "".join(deltas) == answer
    assert completion.content == answer
    assert completion.finish_reason == "stop"
    body = server.chat_requests[0].body
    assert body is not None
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_streaming_parallel_tool_calls_are_assembled_by_index(server: ScriptedLLMServer) -> None:
    server.add_tool_calls(
        [
            ("check_stock_levels", {"product_ids": ["SKU-1001", "SKU-1002"]}),
            (
                "create_purchase_order",
                {"supplier": "ACME", "lines": [{"sku": "SKU-1002", "qty": 50}]},
            ),
        ],
        content="Checking stock and ordering.",
    )
    deltas: list[str] = []

    completion = make_client(server, stream=True).complete(
        messages=[USER], tools=[STOCK_TOOL], on_text=deltas.append
    )

    assert completion.finish_reason == "tool_calls"
    assert completion.content == "Checking stock and ordering."
    assert "".join(deltas) == "Checking stock and ordering."
    assert [(c.id, c.name) for c in completion.tool_calls] == [
        ("functions.check_stock_levels:0", "check_stock_levels"),
        ("functions.create_purchase_order:1", "create_purchase_order"),
    ]
    assert json.loads(completion.tool_calls[0].arguments) == {
        "product_ids": ["SKU-1001", "SKU-1002"]
    }
    assert json.loads(completion.tool_calls[1].arguments) == {
        "supplier": "ACME",
        "lines": [{"sku": "SKU-1002", "qty": 50}],
    }


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_tool_calls_with_finish_reason_stop_are_still_returned(
    server: ScriptedLLMServer, stream: bool
) -> None:
    server.add_tool_calls(
        [("check_stock_levels", {"product_ids": ["SKU-1"]})], finish_reason="stop"
    )

    completion = make_client(server, stream=stream).complete(messages=[USER], tools=[STOCK_TOOL])

    assert completion.finish_reason == "tool_calls"
    assert [c.name for c in completion.tool_calls] == ["check_stock_levels"]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_malformed_arguments_are_passed_through_raw(
    server: ScriptedLLMServer, stream: bool
) -> None:
    broken = '{"product_ids": [SKU'
    server.add_tool_calls([("check_stock_levels", broken)])

    completion = make_client(server, stream=stream).complete(messages=[USER], tools=[STOCK_TOOL])

    assert completion.tool_calls[0].arguments == broken


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_usage_is_recorded(server: ScriptedLLMServer, stream: bool) -> None:
    server.add_text("done", usage=(120, 7))

    completion = make_client(server, stream=stream).complete(messages=[USER], tools=[])

    assert completion.usage == Usage(prompt_tokens=120, completion_tokens=7)
    assert completion.usage.total_tokens == 127


def test_rate_limit_with_retry_after_zero_is_retried_then_succeeds(
    server: ScriptedLLMServer,
) -> None:
    server.add_error(429, headers={"retry-after": "0"})
    server.add_text("after the rate limit")

    completion = make_client(server).complete(messages=[USER], tools=[])

    assert completion.content == "after the rate limit"
    assert len(server.chat_requests) == 2


def test_server_error_is_retried_then_succeeds(server: ScriptedLLMServer) -> None:
    server.add_error(500, headers=FAST_RETRY)
    server.add_text("recovered")

    completion = make_client(server).complete(messages=[USER], tools=[])

    assert completion.content == "recovered"
    assert len(server.chat_requests) == 2


def test_persistent_503_raises_llm_error_after_max_retries(server: ScriptedLLMServer) -> None:
    for _ in range(3):
        server.add_error(
            503, headers=FAST_RETRY, body={"error": {"message": "model overloaded", "code": "busy"}}
        )

    with pytest.raises(LLMError) as raised:
        make_client(server, max_retries=2).complete(messages=[USER], tools=[])

    assert len(server.chat_requests) == 3  # the first try and two retries
    message = str(raised.value)
    assert "HTTP 503" in message
    assert "model overloaded" in message
    assert server.base_url in message
    assert "after 2 retries" in message


def test_persistent_rate_limit_raises_llm_error_naming_the_retries(
    server: ScriptedLLMServer,
) -> None:
    for _ in range(2):
        server.add_error(429, headers=FAST_RETRY)

    with pytest.raises(LLMError, match=r"rate limiting requests and still refused after 1 retry"):
        make_client(server, max_retries=1).complete(messages=[USER], tools=[])


def test_timeout_raises_llm_error_mentioning_the_timeout(server: ScriptedLLMServer) -> None:
    server.add_delay(3.0)
    started = time.monotonic()

    with pytest.raises(LLMError) as raised:
        make_client(server, timeout=0.5, max_retries=0).complete(messages=[USER], tools=[])

    assert time.monotonic() - started < 2.5
    assert str(raised.value).startswith(
        f"the model endpoint {server.base_url} did not answer within 0.5s"
    )
    assert len(server.chat_requests) == 1


def test_unreachable_endpoint_raises_cannot_reach() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and is now closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/v1"
    client = OpenAICompatibleClient(base_url=base_url, api_key="", model=MODEL, max_retries=0)

    with pytest.raises(LLMError, match=rf"^cannot reach the model endpoint {base_url}"):
        client.complete(messages=[USER], tools=[])


def test_rejected_api_key_raises_llm_error_without_the_key(server: ScriptedLLMServer) -> None:
    server.add_error(401, body={"error": {"message": "Incorrect API key: sk-wrong-secret"}})
    client = make_client(server, api_key="sk-wrong-secret")

    with pytest.raises(LLMError, match="rejected the API key") as raised:
        client.complete(messages=[USER], tools=[])

    assert "sk-wrong-secret" not in str(raised.value)
    assert "sk-wrong-secret" not in repr(client)
    assert len(server.chat_requests) == 1  # a 401 is not retried


def test_unknown_model_raises_model_not_found(server: ScriptedLLMServer) -> None:
    server.add_error(404, body={"error": {"message": "model 'kimi-k3' does not exist"}})

    with pytest.raises(LLMError, match=r"does not know the model 'kimi-k3'.*does not exist"):
        make_client(server, model="kimi-k3").complete(messages=[USER], tools=[])


def test_api_key_is_sent_as_bearer_and_empty_key_becomes_placeholder(
    server: ScriptedLLMServer,
) -> None:
    server.add_text("one")
    server.add_text("two")

    make_client(server).complete(messages=[USER], tools=[])
    make_client(server, api_key=None).complete(messages=[USER], tools=[])

    assert server.chat_requests[0].headers["authorization"] == "Bearer sk-test-secret"
    assert server.chat_requests[1].headers["authorization"] == "Bearer EMPTY"


def test_empty_script_answers_a_clear_error_without_retries(server: ScriptedLLMServer) -> None:
    with pytest.raises(LLMError, match="script is empty"):
        make_client(server).complete(messages=[USER], tools=[])

    assert len(server.chat_requests) == 1


def test_responder_drives_an_unbounded_tool_loop(server: ScriptedLLMServer) -> None:
    def responder(request: dict) -> object:
        if any(m["role"] == "tool" for m in request["messages"]):
            return "all checked"
        return server.tool_calls_reply([("check_stock_levels", {"product_ids": ["SKU-1"]})])

    server.responder = responder  # type: ignore[assignment]
    client = make_client(server)
    messages: list[dict] = [USER]
    first = client.complete(messages=messages, tools=[STOCK_TOOL])
    messages += [
        first.as_message(),
        {"role": "tool", "tool_call_id": first.tool_calls[0].id, "content": "{}"},
    ]
    second = client.complete(messages=messages, tools=[STOCK_TOOL])

    assert first.tool_calls[0].id == "functions.check_stock_levels:0"
    assert second.content == "all checked"


def test_models_endpoint_lists_the_model_names(server: ScriptedLLMServer) -> None:
    models = make_client(server)._client.models.list()

    assert [m.id for m in models] == [MODEL]


def test_client_from_settings_reads_owm_llm_settings(settings: object) -> None:
    settings.OWM_LLM_BASE_URL = "http://llm.internal:8000/v1"  # type: ignore[attr-defined]
    settings.OWM_LLM_API_KEY = "sk-from-settings"  # type: ignore[attr-defined]
    settings.OWM_LLM_MODEL = "kimi-k2-test"  # type: ignore[attr-defined]
    settings.OWM_LLM_TEMPERATURE = 0.6  # type: ignore[attr-defined]
    settings.OWM_LLM_MAX_TOKENS = 1000  # type: ignore[attr-defined]
    settings.OWM_LLM_TIMEOUT = 12.0  # type: ignore[attr-defined]
    settings.OWM_LLM_MAX_RETRIES = 4  # type: ignore[attr-defined]

    client = client_from_settings()

    assert (client.base_url, client.model, client.max_tokens) == (
        "http://llm.internal:8000/v1",
        "kimi-k2-test",
        1000,
    )
    assert (client.temperature, client.timeout, client.max_retries) == (0.6, 12.0, 4)
    assert client.provider == "openai"


def test_client_from_settings_without_base_url_raises_llm_error(settings: object) -> None:
    settings.OWM_LLM_BASE_URL = None  # type: ignore[attr-defined]

    with pytest.raises(LLMError, match="OWM_LLM_BASE_URL"):
        client_from_settings()


KIMI_RAW = (
    "Let me check.<|tool_calls_section_begin|><|tool_call_begin|>functions.check_stock_levels:0"
    '<|tool_call_argument_begin|>{"product_ids": ["SKU-1001"]}<|tool_call_end|>'
    "<|tool_call_begin|>functions.predict_demand:1<|tool_call_argument_begin|>"
    '{"product_id": "SKU-1001", "forecast_period": 7}<|tool_call_end|><|tool_calls_section_end|>'
)


@pytest.mark.parametrize("stream", [False, True])
def test_raw_kimi_tool_call_tokens_in_the_content_become_tool_calls(stream):
    from apps.agents.providers.openai_compat import OpenAICompatibleClient

    shown: list[str] = []
    with ScriptedLLMServer() as server:
        server.add_text(KIMI_RAW)
        client = OpenAICompatibleClient(
            base_url=server.base_url, api_key="k", model="kimi-k2", max_retries=0, stream=stream
        )
        completion = client.complete(
            messages=[{"role": "user", "content": "x"}], tools=[], on_text=shown.append
        )
    assert completion.finish_reason == "tool_calls"
    assert completion.content == "Let me check."
    assert [(c.id, c.name) for c in completion.tool_calls] == [
        ("functions.check_stock_levels:0", "check_stock_levels"),
        ("functions.predict_demand:1", "predict_demand"),
    ]
    assert completion.tool_calls[1].arguments == '{"product_id": "SKU-1001", "forecast_period": 7}'
    assert "<|" not in "".join(shown)
