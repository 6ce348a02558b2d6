"""The same fixtures as tests/datatools: people without stock (and the stock
on request), an isolated MEDIA_ROOT, a local HTTP server, `call` for tools."""

from tests.datatools.conftest import _media, call, fake_http, people, stock

__all__ = ["_media", "call", "fake_http", "people", "stock"]
