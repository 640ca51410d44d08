"""A production environment for subprocess tests: every variable a deploy must set, with
values that pass the start-up checks. Tests break one at a time."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "SECRET_KEY": "prod-test-7Qm2vX9pLr4tWz8KcN3bYh6JdF1sGa5ReUo0iTyBnMkVlCxZqPwS",
    "JWT_SIGNING_KEY": "jwt-test-Hq7Lp2Nx9Vr4Kc8Wm3Zb6Td1Yf5Gs0Ju",
    "ALLOWED_HOSTS": "api.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/11",
    "STRIPE_SECRET_KEY": "sk_test_production_profile",
    "STRIPE_WEBHOOK_SECRET": "whsec_production_profile_0123456789",
}


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """PATH plus the production variables (DATA_DIR and SQLite under tmp_path); an override
    of None removes that variable."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        **PRODUCTION_ENV,
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
