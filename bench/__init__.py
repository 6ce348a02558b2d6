"""Benchmarks that print ratios against a baseline measured in the same run.

    .venv/bin/python -m bench            # the quick set (step, audit growth, webhooks)
    .venv/bin/python -m bench step --conversations 50 --database-url postgres://...
    .venv/bin/python -m bench --help

See docs/benchmarks.md for what each figure means and the findings."""
