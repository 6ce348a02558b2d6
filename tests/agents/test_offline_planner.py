"""The offline planner picks tools from the words of a request, fills their
arguments from it, says what is missing, and answers from tool results."""

from __future__ import annotations

import json

from apps.agents.llm import ChatClient, Completion
from apps.agents.providers.offline import OfflinePlanner


def _tool(name: str, description: str, properties: dict, required: list[str]) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


TOOLS = [
    _tool(
        "get_weather",
        "Get the current weather for a city. Returns temperature and conditions.",
        {
            "city": {"type": "string", "description": "City name"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
        },
        ["city"],
    ),
    _tool(
        "check_stock_levels",
        "Check current inventory levels for products at a warehouse location.",
        {
            "product_ids": {"type": "array", "items": {"type": "string"}},
            "location": {"type": "string", "description": "Warehouse location"},
        },
        [],
    ),
    _tool(
        "predict_demand",
        "Forecast future demand for a product over a number of days.",
        {
            "product_id": {"type": "string"},
            "forecast_period": {"type": "integer", "description": "Forecast horizon in days"},
        },
        ["product_id", "forecast_period"],
    ),
    _tool(
        "create_purchase_order",
        "Create a purchase order with a supplier for one or more products.",
        {
            "supplier_id": {"type": "string"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "product_id": {"type": "string"},
                        "quantity": {"type": "integer"},
                        "unit_price": {"type": "number"},
                    },
                    "required": ["product_id", "quantity"],
                },
            },
        },
        ["supplier_id", "items"],
    ),
    _tool(
        "analyze_customer_inquiry",
        "Classify a customer inquiry into a category and priority.",
        {
            "inquiry_text": {"type": "string"},
            "customer_tier": {"type": "string", "enum": ["bronze", "silver", "gold", "platinum"]},
        },
        ["inquiry_text"],
    ),
    _tool(
        "search_knowledge_base",
        "Search the knowledge base for help articles.",
        {"query": {"type": "string"}, "category": {"type": "string"}},
        ["query", "category"],
    ),
    _tool(
        "send_notification",
        "Send a notification message to recipients over a channel.",
        {
            "recipients": {"type": "array", "items": {"type": "string"}},
            "message": {"type": "string"},
            "channel": {
                "type": "string",
                "enum": ["email", "slack", "teams", "webhook"],
                "default": "email",
            },
        },
        ["recipients", "message"],
    ),
    _tool(
        "check_business_rules",
        "Evaluate business rules against current metrics.",
        {"metrics": {"type": "object"}},
        ["metrics"],
    ),
]


def _ask(text: str, tools: list[dict] = TOOLS) -> Completion:
    return OfflinePlanner().complete(messages=[{"role": "user", "content": text}], tools=tools)


def _calls(completion: Completion) -> list[tuple[str, dict]]:
    return [(call.name, json.loads(call.arguments)) for call in completion.tool_calls]


def test_offline_planner_satisfies_the_chat_client_protocol() -> None:
    planner: ChatClient = OfflinePlanner()
    assert (planner.provider, planner.model) == ("offline", "owm-offline-planner")


def test_stock_request_calls_check_stock_levels_with_ids_and_city() -> None:
    completion = _ask("check stock levels for SKU-1001 at the Seoul warehouse")
    assert completion.finish_reason == "tool_calls"
    assert _calls(completion) == [
        ("check_stock_levels", {"product_ids": ["SKU-1001"], "location": "Seoul"})
    ]
    assert completion.tool_calls[0].id == "offline-1-1"
    assert completion.content.startswith("Planning: calling check_stock_levels")


def test_demand_request_fills_product_id_and_days_as_forecast_period() -> None:
    completion = _ask("predict demand for SKU-1001 for the next 30 days")
    assert _calls(completion) == [
        ("predict_demand", {"product_id": "SKU-1001", "forecast_period": 30})
    ]


def test_request_naming_two_tools_calls_both_in_one_turn() -> None:
    completion = _ask("check stock for SKU-1001 and predict demand for the next 30 days")
    assert _calls(completion) == [
        ("check_stock_levels", {"product_ids": ["SKU-1001"]}),
        ("predict_demand", {"product_id": "SKU-1001", "forecast_period": 30}),
    ]
    assert [call.id for call in completion.tool_calls] == ["offline-1-1", "offline-1-2"]


def test_purchase_order_items_are_built_from_quantities_and_ids() -> None:
    completion = _ask("order 50 units of SKU-1001 from SUP-001")
    assert _calls(completion) == [
        (
            "create_purchase_order",
            {"supplier_id": "SUP-001", "items": [{"product_id": "SKU-1001", "quantity": 50}]},
        )
    ]


def test_purchase_order_reads_several_items_with_prices() -> None:
    completion = _ask(
        "create a purchase order with SUP-002 for 50 units of SKU-1001 at $12.50 "
        "and 20 units of SKU-1002 at $8"
    )
    name, args = _calls(completion)[0]
    assert name == "create_purchase_order"
    assert args["supplier_id"] == "SUP-002"
    assert args["items"] == [
        {"product_id": "SKU-1001", "quantity": 50, "unit_price": 12.5},
        {"product_id": "SKU-1002", "quantity": 20, "unit_price": 8.0},
    ]


def test_enum_value_mentioned_in_the_request_is_used() -> None:
    completion = _ask("what is the weather in Seoul in fahrenheit")
    assert _calls(completion) == [("get_weather", {"city": "Seoul", "unit": "fahrenheit"})]


def test_enum_falls_back_to_its_schema_default() -> None:
    completion = _ask("what is the weather in New York")
    assert _calls(completion) == [("get_weather", {"city": "New York", "unit": "celsius"})]


def test_free_text_takes_the_quoted_string_and_recipients_the_emails() -> None:
    completion = _ask('send a slack notification to ops@example.com saying "Stock is low"')
    assert _calls(completion) == [
        (
            "send_notification",
            {"recipients": ["ops@example.com"], "message": "Stock is low", "channel": "slack"},
        )
    ]


def test_free_text_falls_back_to_the_whole_request() -> None:
    text = "analyze this customer inquiry from a gold customer: my parcel never arrived"
    completion = _ask(text)
    assert _calls(completion) == [
        ("analyze_customer_inquiry", {"inquiry_text": text, "customer_tier": "gold"})
    ]


def test_object_argument_is_built_from_name_value_pairs() -> None:
    completion = _ask("check business rules with error_count=15 and response_time 320")
    assert _calls(completion) == [
        ("check_business_rules", {"metrics": {"error_count": 15, "response_time": 320}})
    ]


def test_missing_required_number_is_named_in_a_final_answer() -> None:
    completion = _ask("predict demand for SKU-1001")
    assert completion.finish_reason == "stop"
    assert completion.tool_calls == []
    assert "predict_demand" in completion.content
    assert "forecast_period" in completion.content
    assert "30 days" in completion.content  # how to phrase it


def test_unrelated_request_lists_every_tool_with_its_first_sentence() -> None:
    completion = _ask("tell me a joke")
    assert completion.finish_reason == "stop"
    assert completion.tool_calls == []
    for tool in TOOLS:
        assert f"- {tool['function']['name']}: " in completion.content
    assert "Get the current weather for a city." in completion.content
    assert "Returns temperature" not in completion.content


def test_final_answer_reports_summaries_errors_and_other_results() -> None:
    messages = [
        {"role": "user", "content": "check stock for SKU-1001 and predict demand for 30 days"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "check_stock_levels"}},
                {"id": "c2", "type": "function", "function": {"name": "predict_demand"}},
                {"id": "c3", "type": "function", "function": {"name": "get_weather"}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"summary": "120 in stock"})},
        {
            "role": "tool",
            "tool_call_id": "c2",
            "name": "predict_demand",
            "content": json.dumps({"error": {"kind": "not_found", "message": "No history"}}),
        },
        {"role": "tool", "tool_call_id": "c3", "content": json.dumps({"temp": 21, "days": [1, 2]})},
    ]
    seen: list[str] = []
    completion = OfflinePlanner().complete(messages=messages, tools=TOOLS, on_text=seen.append)
    assert completion.finish_reason == "stop"
    assert completion.tool_calls == []
    assert completion.content.splitlines() == [
        "Here is what I found:",
        "- check_stock_levels: 120 in stock",
        "- predict_demand failed: No history",
        "- get_weather: temp: 21; days: 2 items",
    ]
    assert "".join(seen) == completion.content


def test_planner_uses_no_tokens_and_measures_its_time() -> None:
    completion = _ask("check stock levels for SKU-1001")
    assert completion.usage.total_tokens == 0
    assert completion.duration_ms >= 0
    assert completion.model == "owm-offline-planner"


def test_same_input_gives_the_same_output() -> None:
    text = "check stock for SKU-1001 and predict demand for the next 30 days"
    first, second = _ask(text), _ask(text)
    assert (first.content, first.tool_calls) == (second.content, second.tool_calls)


def test_turn_number_in_call_ids_follows_earlier_assistant_turns() -> None:
    messages = [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "Hi"},
        {"role": "user", "content": "predict demand for SKU-1001 for 2 weeks"},
    ]
    completion = OfflinePlanner().complete(messages=messages, tools=TOOLS)
    assert completion.tool_calls[0].id == "offline-2-1"
    assert _calls(completion) == [
        ("predict_demand", {"product_id": "SKU-1001", "forecast_period": 14})
    ]
