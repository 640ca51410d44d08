"""The container files only wrap deploy/entrypoint.sh, the script the tested production
profile runs (images cannot be built on these machines)."""

import re
import subprocess

import yaml

from tests.production.env import ROOT

SUBCOMMANDS = {"release", "collectstatic", "web", "worker", "beat"}


def test_entrypoint_knows_its_subcommands_and_refuses_others() -> None:
    script = (ROOT / "deploy" / "entrypoint.sh").read_text()
    for name in SUBCOMMANDS:
        assert re.search(rf"^{name}\)$", script, flags=re.M), name
    result = subprocess.run(  # noqa: S603
        [str(ROOT / "deploy" / "entrypoint.sh"), "bogus"], capture_output=True, text=True
    )
    assert result.returncode == 64
    assert "usage" in result.stderr


def test_the_image_runs_the_entrypoint_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, flags=re.M)) >= 2  # multi-stage
    assert re.search(r"^USER app$", dockerfile, flags=re.M)
    assert 'ENTRYPOINT ["deploy/entrypoint.sh"]' in dockerfile
    assert ".[dev]" not in dockerfile  # no dev dependencies


def test_compose_runs_every_app_service_through_the_entrypoint() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    for name in ("migrate", "web", "worker", "beat"):
        (command,) = services[name]["command"]
        assert command in SUBCOMMANDS, name
    assert services["migrate"]["command"] == ["release"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
