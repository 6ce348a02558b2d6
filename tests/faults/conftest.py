def pytest_configure(config):  # type: ignore[no-untyped-def]
    # Until the lead registers it in pyproject.toml (--strict-markers is on).
    config.addinivalue_line("markers", "fuzz: property-based API fuzzing (schemathesis)")
