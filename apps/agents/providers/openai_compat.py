"""ChatClient for any OpenAI-compatible chat-completions endpoint (Kimi-K2, vLLM, ...).

Retries are the ``openai`` SDK's own: exponential backoff with jitter on 429, 5xx and
connection errors, honouring Retry-After. Failures that survive them become
:class:`LLMError` with a message naming the endpoint, never the API key.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import openai
from django.conf import settings

from apps.agents.llm import Completion, LLMError, Message, TextCallback, ToolCallRequest, Usage
from apps.agents.providers.kimi import has_raw_tool_calls, parse_raw_tool_calls

logger = logging.getLogger(__name__)


def _display_url(base_url: str) -> str:
    """The base URL without any user:password@ part, for messages and logs."""
    parts = urlsplit(base_url)
    if parts.username is None and parts.password is None:
        return base_url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


class OpenAICompatibleClient:
    provider = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        model: str,
        temperature: float = 0.6,
        max_tokens: int = 2048,
        timeout: float = 60.0,
        max_retries: int = 3,
        stream: bool = False,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.max_retries = max_retries
        self.stream = stream
        self._api_key = api_key or ""
        self._endpoint = _display_url(base_url)
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or "EMPTY",
            timeout=timeout,
            max_retries=max_retries,
        )

    def __repr__(self) -> str:  # no key in reprs that end up in logs or tracebacks
        return f"OpenAICompatibleClient(base_url={self._endpoint!r}, model={self.model!r})"

    def list_models(self) -> list[str]:
        """The model ids the endpoint serves (GET /models), without retries."""
        try:
            return [model.id for model in self._client.with_options(max_retries=0).models.list()]
        except openai.OpenAIError as exc:
            raise LLMError(self._describe(exc)) from exc

    def complete(
        self,
        *,
        messages: list[Message],
        tools: list[dict[str, Any]],
        on_text: TextCallback | None = None,
    ) -> Completion:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if tools:
            request["tools"] = tools
            request["tool_choice"] = "auto"
        started = time.perf_counter()
        try:
            if self.stream:
                completion = self._complete_streaming(request, on_text)
            else:
                completion = self._complete_once(request)
        except openai.OpenAIError as exc:
            error = LLMError(self._describe(exc))
            logger.warning("LLM call to %s failed: %s", self._endpoint, error)
            raise error from exc
        duration_ms = (time.perf_counter() - started) * 1000
        completion = _with_raw_tool_calls(completion)
        logger.info(
            "LLM %s at %s: finish=%s tool_calls=%d tokens=%d/%d in %.0f ms",
            completion.model,
            self._endpoint,
            completion.finish_reason,
            len(completion.tool_calls),
            completion.usage.prompt_tokens,
            completion.usage.completion_tokens,
            duration_ms,
        )
        return Completion(
            content=completion.content,
            tool_calls=completion.tool_calls,
            finish_reason=completion.finish_reason,
            usage=completion.usage,
            model=completion.model,
            duration_ms=duration_ms,
        )

    # -- one response --------------------------------------------------------------------------

    def _complete_once(self, request: dict[str, Any]) -> Completion:
        response = self._client.chat.completions.create(**request)
        if not response.choices:
            raise LLMError(f"the model endpoint {self._endpoint} returned no choices")
        choice = response.choices[0]
        message = choice.message
        calls = [
            ToolCallRequest(
                id=call.id,
                name=call.function.name,
                arguments=call.function.arguments or "",
            )
            for call in message.tool_calls or []
            if getattr(call, "function", None) is not None
        ]
        return Completion(
            content=message.content or None,
            tool_calls=calls,
            finish_reason=_finish_reason(choice.finish_reason, calls),
            usage=_usage(response.usage),
            model=response.model or self.model,
        )

    # -- streamed response ---------------------------------------------------------------------

    def _complete_streaming(
        self, request: dict[str, Any], on_text: TextCallback | None
    ) -> Completion:
        stream = self._client.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        )
        text: list[str] = []
        raw_calls = False
        calls: dict[int, dict[str, Any]] = {}  # index -> {"id", "name", "arguments": [fragments]}
        finish_reason: str | None = None
        usage = Usage()
        model = self.model
        with stream:
            for chunk in stream:
                model = chunk.model or model
                if chunk.usage is not None:
                    usage = _usage(chunk.usage)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta is not None and delta.content:
                        text.append(delta.content)
                        # Raw Kimi tool-call tokens are parsed later, never shown.
                        raw_calls = raw_calls or "<|tool_call" in "".join(text[-3:])
                        if on_text is not None and not raw_calls:
                            on_text(delta.content)
                    for call_delta in (delta.tool_calls if delta is not None else None) or []:
                        call = calls.setdefault(
                            call_delta.index, {"id": None, "name": None, "arguments": []}
                        )
                        if call_delta.id and call["id"] is None:
                            call["id"] = call_delta.id
                        function = call_delta.function
                        if function is not None:
                            if function.name and call["name"] is None:
                                call["name"] = function.name
                            if function.arguments:
                                call["arguments"].append(function.arguments)
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
        if finish_reason is None:
            raise LLMError(
                f"the model endpoint {self._endpoint} ended the stream before the reply "
                "was complete"
            )
        tool_calls = []
        for index in sorted(calls):
            call = calls[index]
            if not call["id"] or not call["name"]:
                raise LLMError(
                    f"the model endpoint {self._endpoint} streamed tool call #{index} "
                    "without an id or a name"
                )
            tool_calls.append(
                ToolCallRequest(
                    id=call["id"], name=call["name"], arguments="".join(call["arguments"])
                )
            )
        return Completion(
            content="".join(text) or None,
            tool_calls=tool_calls,
            finish_reason=_finish_reason(finish_reason, tool_calls),
            usage=usage,
            model=model,
        )

    # -- errors --------------------------------------------------------------------------------

    def _describe(self, exc: openai.OpenAIError) -> str:
        endpoint = self._endpoint
        retries = f"after {self.max_retries} {'retry' if self.max_retries == 1 else 'retries'}"
        if isinstance(exc, openai.APITimeoutError):
            message = (
                f"the model endpoint {endpoint} did not answer within {self.timeout:g}s ({retries})"
            )
        elif isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc.__context__
            reason = str(cause) if cause is not None and str(cause) else str(exc)
            message = f"cannot reach the model endpoint {endpoint}: {reason} ({retries})"
        elif isinstance(exc, openai.RateLimitError):
            message = (
                f"the model endpoint {endpoint} is rate limiting requests and still refused "
                f"{retries}: {_server_message(exc)}"
            )
        elif isinstance(exc, openai.AuthenticationError):
            message = f"the model endpoint {endpoint} rejected the API key: {_server_message(exc)}"
        elif isinstance(exc, openai.NotFoundError):
            message = (
                f"the model endpoint {endpoint} does not know the model {self.model!r} (HTTP 404): "
                f"{_server_message(exc)}"
            )
        elif isinstance(exc, openai.APIStatusError):
            message = (
                f"the model endpoint {endpoint} answered HTTP {exc.status_code}"
                f"{' ' + retries if exc.status_code >= 500 else ''}: {_server_message(exc)}"
            )
        else:
            message = f"the model endpoint {endpoint} failed: {exc}"
        if self._api_key:
            message = message.replace(self._api_key, "***")
        return message


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        text = body["message"]
    elif isinstance(body, str) and body:
        text = body
    else:
        try:
            text = exc.response.text
        except Exception:  # a streamed response whose body was not read
            text = ""
        text = text or exc.response.reason_phrase or "no details"
    return text if len(text) <= 300 else text[:300] + "..."


def _with_raw_tool_calls(completion: Completion) -> Completion:
    """Kimi-K2 tool calls left as raw tokens in the content become real calls."""
    if completion.tool_calls or not has_raw_tool_calls(completion.content):
        return completion
    content, calls = parse_raw_tool_calls(completion.content or "")
    return Completion(
        content=content,
        tool_calls=calls,
        finish_reason="tool_calls" if calls else completion.finish_reason,
        usage=completion.usage,
        model=completion.model,
    )


def _finish_reason(reason: str | None, calls: list[ToolCallRequest]) -> str:
    if calls and reason in (None, "stop"):
        return "tool_calls"  # some servers say "stop" after tool calls; the calls still count
    return reason or "stop"


def _usage(usage: Any) -> Usage:
    if usage is None:
        return Usage()
    return Usage(
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
    )


def settings_config() -> dict[str, Any]:
    """The client arguments of the OWM_LLM_* settings (one place maps them)."""
    return {
        "base_url": settings.OWM_LLM_BASE_URL,
        "api_key": settings.OWM_LLM_API_KEY,
        "model": settings.OWM_LLM_MODEL,
        "temperature": settings.OWM_LLM_TEMPERATURE,
        "max_tokens": settings.OWM_LLM_MAX_TOKENS,
        "timeout": settings.OWM_LLM_TIMEOUT,
        "max_retries": settings.OWM_LLM_MAX_RETRIES,
        "stream": settings.OWM_LLM_STREAM,
    }


def client_from_settings(*, stream: bool | None = None) -> OpenAICompatibleClient:
    """The client configured by the OWM_LLM_* settings."""
    if not settings.OWM_LLM_BASE_URL:
        raise LLMError("no model endpoint is configured (set OWM_LLM_BASE_URL)")
    config = settings_config()
    if stream is not None:
        config["stream"] = stream
    return OpenAICompatibleClient(**config)
