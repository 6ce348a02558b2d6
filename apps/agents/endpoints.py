"""Which model answers an agent: its endpoint (admin-managed), the
OWM_LLM_* endpoint, or the offline planner; with a fallback endpoint when
the primary is down (errors after retries, or its circuit is open)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings

from apps.agents.breaker import breaker_failure, breaker_state, breaker_success
from apps.agents.llm import ChatClient, Completion, LLMError, Message, TextCallback, Usage
from apps.agents.models import Agent, ModelEndpoint

logger = logging.getLogger(__name__)
ENV_ENDPOINT = "env"  # the endpoint configured by OWM_LLM_* variables

_semaphores: dict[str, threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


@dataclass(frozen=True)
class Prices:
    input_per_m: Decimal
    output_per_m: Decimal

    def cost(self, usage: Usage) -> Decimal:
        million = Decimal(1_000_000)
        return (
            self.input_per_m * usage.prompt_tokens + self.output_per_m * usage.completion_tokens
        ) / million


@dataclass(frozen=True)
class Target:
    name: str
    client: ChatClient
    prices: Prices
    concurrency: int


def _semaphore(name: str, size: int) -> threading.BoundedSemaphore:
    with _semaphores_lock:
        if name not in _semaphores:
            _semaphores[name] = threading.BoundedSemaphore(max(1, size))
        return _semaphores[name]


@lru_cache(maxsize=64)
def cached_client(**config: Any) -> ChatClient:
    """One client per endpoint configuration: building one loads the TLS
    certificate bundle (tens of ms), and its HTTP connection pool is reusable
    and thread-safe."""
    from apps.agents.providers.openai_compat import OpenAICompatibleClient

    return OpenAICompatibleClient(**config)


def target_for_endpoint(endpoint: ModelEndpoint) -> Target:
    client = cached_client(
        base_url=endpoint.base_url,
        api_key=endpoint.api_key,
        model=endpoint.model,
        temperature=endpoint.temperature,
        max_tokens=endpoint.max_tokens,
        timeout=endpoint.timeout_s,
        max_retries=endpoint.max_retries,
        stream=endpoint.stream,
    )
    prices = Prices(endpoint.input_price_per_m, endpoint.output_price_per_m)
    return Target(endpoint.name, client, prices, endpoint.concurrency_limit)


def target_from_settings() -> Target | None:
    if not settings.OWM_LLM_BASE_URL:
        return None
    prices = Prices(
        Decimal(str(settings.OWM_LLM_INPUT_PRICE)), Decimal(str(settings.OWM_LLM_OUTPUT_PRICE))
    )
    from apps.agents.providers.openai_compat import settings_config

    client = cached_client(**settings_config())
    return Target(ENV_ENDPOINT, client, prices, settings.OWM_LLM_CONCURRENCY)


class ResilientClient:
    """Primary, then fallback; a circuit breaker and a concurrency cap per endpoint."""

    provider = "openai"

    def __init__(self, targets: list[Target]) -> None:
        self.targets = targets
        self.model = targets[0].client.model
        self.prices = {target.name: target.prices for target in targets}

    def complete(
        self,
        *,
        messages: list[Message],
        tools: list[dict[str, Any]],
        on_text: TextCallback | None = None,
    ) -> Completion:
        errors: list[str] = []
        for target in self.targets:
            state = breaker_state(target.name)
            if state.is_open:
                errors.append(f"{target.name}: circuit open after repeated failures")
                continue
            try:
                with _semaphore(target.name, target.concurrency):
                    completion = target.client.complete(
                        messages=messages, tools=tools, on_text=on_text
                    )
            except LLMError as exc:
                failed = breaker_failure(target.name)
                logger.warning(
                    "endpoint %s failed (%d in a row): %s", target.name, failed.failures, exc
                )
                errors.append(f"{target.name}: {exc}")
                continue
            if state.failures:  # a healthy endpoint's call costs one cache read, no write
                breaker_success(target.name)
            return replace(completion, endpoint=target.name)
        raise LLMError("; then ".join(errors) if errors else "no model endpoint is available")

    def cost(self, completion: Completion) -> Decimal:
        prices = self.prices.get(completion.endpoint)
        return prices.cost(completion.usage) if prices else Decimal(0)


def client_for_agent(agent: Agent) -> ChatClient:
    """The agent's endpoint (or OWM_LLM_*) then its fallback; else the offline planner."""
    primary = agent.endpoint if agent.endpoint is not None and agent.endpoint.enabled else None
    fallback = agent.fallback_endpoint
    targets = [target_for_endpoint(primary)] if primary else []
    if not targets and (env := target_from_settings()) is not None:
        targets.append(env)
    if fallback is not None and fallback.enabled and fallback != primary:
        targets.append(target_for_endpoint(fallback))
    if targets:
        return ResilientClient(targets)
    from apps.agents.providers.offline import OfflinePlanner

    return OfflinePlanner()


def completion_cost(client: ChatClient, completion: Completion) -> Decimal:
    return client.cost(completion) if isinstance(client, ResilientClient) else Decimal(0)
