"""The provider interface every LLM backend implements (OpenAI-compatible
HTTP endpoints and the offline planner)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

Message = dict[str, Any]  # an OpenAI chat message: role, content, tool_calls, tool_call_id, name


class LLMError(Exception):
    """The model endpoint failed for good (after retries); the message is for the user."""


@dataclass(frozen=True)
class ToolCallRequest:
    id: str  # kept exactly as the model produced it
    name: str
    arguments: str  # raw JSON text, validated by the executor


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Completion:
    content: str | None
    tool_calls: list[ToolCallRequest] = field(default_factory=list)
    finish_reason: str = "stop"
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    duration_ms: float = 0.0
    endpoint: str = ""  # the endpoint that answered (for pricing and health)

    def as_message(self) -> Message:
        """The assistant message to append to the history, ids unchanged."""
        message: Message = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self.tool_calls
            ]
        return message


TextCallback = Callable[[str], None]


class ChatClient(Protocol):
    provider: str  # "openai" or "offline": shown to users
    model: str

    def complete(
        self,
        *,
        messages: list[Message],
        tools: list[dict[str, Any]],
        on_text: TextCallback | None = None,
    ) -> Completion:
        """One chat-completions turn. Raises LLMError with a clear message on failure."""
        ...
