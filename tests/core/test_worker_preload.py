"""A Celery worker imports what a run needs (the openai SDK, the channel
layers) before its pool forks, so no pool process pays for the imports in its
first run. Checked in a fresh interpreter: this one has imported everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import django
django.setup()
from celery.signals import worker_init
from owm.celery import RUN_MODULES
before = [name for name in RUN_MODULES if name in sys.modules]
worker_init.send(sender=None)  # what `celery worker` sends before it starts its pool
after = [name for name in RUN_MODULES if name in sys.modules]
print(json.dumps({"before": before, "after": after, "all": list(RUN_MODULES)}))
"""


def test_the_worker_imports_the_run_modules_before_its_pool_starts(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "owm.settings",
        "OWM_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    probe = subprocess.run(  # noqa: S603
        [sys.executable, "-W", "ignore", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert "openai.resources.chat.completions" in seen["all"]
    assert seen["before"] == []  # Django and the task modules alone do not load them
    assert seen["after"] == seen["all"]
