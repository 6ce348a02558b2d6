"""The offline provider: a deterministic planner that picks and fills tool calls
from the words of the request, so agents run without any model endpoint."""

from .planner import OfflinePlanner, plan

__all__ = ["OfflinePlanner", "plan"]
