"""With DEBUG off the process refuses to start on any development stand-in, and says which
variable to set. Each case breaks one variable of an otherwise valid production environment."""

import json
from pathlib import Path

import pytest

from tests.production.env import production_env, run_manage, run_python

SETUP = "import django; django.setup(); print('started')"
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production"


def test_the_production_environment_starts(tmp_path: Path) -> None:
    result = run_python(SETUP, production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_debug_defaults_to_off_and_refuses_the_development_key(tmp_path: Path) -> None:
    env = production_env(tmp_path, DEBUG=None, SECRET_KEY=DEV_SECRET_KEY)
    result = run_python(SETUP, env)
    assert result.returncode != 0
    assert "SECRET_KEY is the committed development key" in result.stderr


def test_debug_off_and_nothing_set_refuses_with_every_variable_named(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = run_python(SETUP, env)
    assert result.returncode != 0
    for name in ("SECRET_KEY", "JWT_SIGNING_KEY", "ALLOWED_HOSTS", "CELERY_BROKER_URL",
                 "REDIS_URL", "STRIPE_SECRET_KEY"):  # fmt: skip
        assert name in result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"SECRET_KEY": None}, "SECRET_KEY must be set", id="secret-key-missing"),
        pytest.param(
            {"SECRET_KEY": "too-short-0123456789"}, "SECRET_KEY must be at least", id="short-key"
        ),
        pytest.param({"SECRET_KEY": "a" * 60}, "SECRET_KEY must be at least", id="low-entropy"),
        pytest.param({"JWT_SIGNING_KEY": None}, "JWT_SIGNING_KEY must be set", id="jwt-missing"),
        pytest.param(
            {"JWT_SIGNING_KEY": "prod-test-7Qm2vX9pLr4tWz8KcN3bYh6JdF1sGa5ReUo0iTyBnMkVlCxZqPwS"},
            "JWT_SIGNING_KEY must differ from SECRET_KEY",
            id="jwt-is-secret-key",
        ),
        pytest.param(
            {"JWT_SIGNING_KEY": "short-jwt-key"}, "JWT_SIGNING_KEY must be at least", id="jwt-short"
        ),
        pytest.param({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS is empty", id="no-allowed-hosts"),
        pytest.param(
            {"REDIS_URL": None}, "REDIS_URL must be set", id="per-process-cache-and-broker"
        ),
        pytest.param(
            {"CELERY_BROKER_URL": "filesystem://"}, "CELERY_BROKER_URL", id="filesystem-broker"
        ),
        pytest.param({"CELERY_BROKER_URL": "memory://"}, "CELERY_BROKER_URL", id="memory-broker"),
        pytest.param(
            {"STRIPE_SECRET_KEY": None}, "STRIPE_SECRET_KEY must be set", id="stripe-local"
        ),
        pytest.param(
            {"STRIPE_WEBHOOK_SECRET": None}, "STRIPE_WEBHOOK_SECRET", id="stripe-no-webhook-secret"
        ),
        pytest.param(
            {"STRIPE_WEBHOOK_SECRET": "whsec_local_trackpacks"},
            "STRIPE_WEBHOOK_SECRET",
            id="stripe-public-dev-webhook-secret",
        ),
        pytest.param(
            {"STRIPE_SECRET_KEY": "sk_live_abc", "STRIPE_API_BASE": "http://127.0.0.1:8420"},
            "STRIPE_API_BASE",
            id="live-stripe-key-at-localstripe",
        ),
    ],
)
def test_refuses_to_start(tmp_path: Path, overrides: dict[str, str | None], message: str) -> None:
    result = run_python(SETUP, production_env(tmp_path, **overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def _deployment_record(tmp_path: Path, **fields: object) -> Path:
    record = tmp_path / "80002.json"
    record.write_text(json.dumps({"chainId": 80002, **fields}))
    return record


AMOY = {
    "CHAIN_ID": "80002",
    "CHAIN_RPC_URL": "https://rpc.example.invalid/v2/key",
    "CHAIN_ADMIN_KEY": "0x" + "11" * 32,
    "CHAIN_MINTER_KEY": "0x" + "22" * 32,
    "CHAIN_OPERATOR_KEY": "0x" + "33" * 32,
    "CUSTODIAL_MNEMONIC": "abandon " * 11 + "about",
}


@pytest.mark.parametrize(
    "record_fields",
    [
        pytest.param({"contracts": {"VRFCoordinatorV2_5Mock": {"address": "0x1"}}}, id="contracts"),
        pytest.param({"vrfCoordinator": "0x1", "vrfCoordinatorIsMock": True}, id="flag"),
    ],
)
def test_refuses_a_mock_coordinator_off_the_local_chain(
    tmp_path: Path, record_fields: dict[str, object]
) -> None:
    record = _deployment_record(tmp_path, **record_fields)
    env = production_env(tmp_path, **AMOY, CHAIN_DEPLOYMENT_RECORD=str(record))
    result = run_python(SETUP, env)
    assert result.returncode != 0
    assert "CHAIN_DEPLOYMENT_RECORD" in result.stderr
    assert "mock VRF coordinator" in result.stderr


def test_accepts_a_real_coordinator_off_the_local_chain(tmp_path: Path) -> None:
    record = _deployment_record(tmp_path, vrfCoordinator="0x1", vrfCoordinatorIsMock=False)
    env = production_env(tmp_path, **AMOY, CHAIN_DEPLOYMENT_RECORD=str(record))
    result = run_python(SETUP, env)
    assert result.returncode == 0, result.stderr


def test_check_deploy_reports_nothing_in_production(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_a_deploy_without_https(tmp_path: Path) -> None:
    env = production_env(tmp_path, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout
