"""The production settings refuse to start without a real secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_check(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "OWM_", "DJANGO_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = django_check(
        OWM_ENV="production", ALLOWED_HOSTS="owm.example", OWM_VAR_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    result = django_check(
        OWM_ENV="production",
        SECRET_KEY="short",
        ALLOWED_HOSTS="owm.example",
        OWM_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0


def test_production_starts_with_a_real_secret_and_redis(tmp_path):
    result = django_check(
        OWM_ENV="production",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="owm.example",
        REDIS_URL="redis://127.0.0.1:6379/15",
        OWM_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr


def test_a_malformed_boolean_setting_fails_loudly(tmp_path):
    result = django_check(DEBUG="maybe", OWM_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr
