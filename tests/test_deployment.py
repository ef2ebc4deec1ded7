"""The container image's entry points, run here as the image runs them (this machine cannot
pull a base image): its CMD starts a node that answers, and its HEALTHCHECK passes on it;
the compose file's services use commands the app has."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_serve import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def instruction(name: str) -> list[str]:
    """The JSON (exec) form of the Dockerfile's last ``name`` instruction."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = re.findall(rf"^{name}\s+(?:.*?CMD\s+)?(\[.*\])\s*$", text, re.M)
    assert found, f"no {name} in exec form"
    return json.loads(found[-1])


def test_the_image_runs_as_a_user_and_checks_its_health_on_healthz():
    text = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert "/healthz" in " ".join(instruction("HEALTHCHECK"))


def test_the_images_command_serves_and_its_healthcheck_passes(tmp_path):
    port = str(free_port())
    command = [port if part == "8000" else part for part in instruction("CMD")]
    health = [part.replace(":8000/", f":{port}/") for part in instruction("HEALTHCHECK")]
    env = dict(os.environ, FLASK_APP="app", SHARECAST_INSTANCE=str(tmp_path / "instance"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    node = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        wait_until(lambda: subprocess.run(health, cwd=ROOT, env=env, capture_output=True,
                                          timeout=10).returncode == 0, timeout=90, every=0.5)
    finally:
        node.send_signal(signal.SIGTERM)
        assert node.wait(40) == 0


def test_the_compose_services_use_commands_the_app_has():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert {"postgres", "redis", "web", "worker"} <= set(services)
    for name in ("web", "worker"):
        command = services[name].get("command") or instruction("CMD")
        assert command[0] == "flask"
        out = subprocess.run([sys.executable, "-m", "flask", "--app", "app", command[1], "--help"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr


def test_the_service_installs_no_test_tool_and_every_package_is_pinned_with_a_hash():
    def packages(name: str) -> dict[str, str]:
        text = (ROOT / name).read_text().replace("\\\n", " ")
        pins = {}
        for line in text.splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                assert "==" in line and "--hash=sha256:" in line, f"{name}: not pinned with a hash: {line[:60]}"
                pins[line.split("==")[0].lower().replace("_", "-")] = line.split("==")[1].split()[0]
        return pins

    service, tests = packages("requirements.txt"), packages("requirements-test.txt")
    assert not {"pytest", "playwright", "hypothesis", "aiosmtpd", "zxing-cpp", "ruff"} & set(service)
    assert {"pytest", "playwright", "hypothesis"} <= set(tests)
    assert {"flask", "granian", "sqlalchemy", "rq", "psycopg", "prometheus-client"} <= set(service)
    shared = set(service) & set(tests)
    assert all(service[p] == tests[p] for p in shared), "the test lock must keep the service's versions"
