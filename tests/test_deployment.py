"""The container image's entry points, run here as the image runs them (this machine cannot
pull a base image): its CMD starts a node that answers, and its HEALTHCHECK passes on it;
the compose file's services use commands the app has."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
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
    port, redirects = str(free_port()), str(free_port())
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    assert re.search(r"^ENV .*SHARECAST_REDIRECT_PORT=8001\b", dockerfile, re.M)
    command = [port if part == "8000" else part for part in instruction("CMD")]
    health = [part.replace(":8000/", f":{port}/").replace(":8001/", f":{redirects}/")
              for part in instruction("HEALTHCHECK")]
    assert ":8001/healthz" in " ".join(instruction("HEALTHCHECK"))  # the redirect server is checked too
    env = dict(os.environ, FLASK_APP="app", SHARECAST_INSTANCE=str(tmp_path / "instance"),
               SHARECAST_REDIRECT_PORT=redirects,
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


@pytest.mark.skipif(not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists(), reason="needs nginx")
def test_the_balancers_config_sends_redirects_to_the_redirect_server_and_the_rest_to_the_web(tmp_path):
    """deploy/nginx.conf (compose's balancer) in Debian's nginx, in front of a node run as the image runs it."""
    port, redirects, public = free_port(), free_port(), free_port()
    env = dict(os.environ, SHARECAST_INSTANCE=str(tmp_path / "instance"), SHARECAST_REDIRECT_PORT=str(redirects),
               SHARECAST_PUBLIC_URL=f"http://127.0.0.1:{public}")
    node = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(port),
                             "--workers", "1"], cwd=ROOT, env=env, start_new_session=True)
    site = ((ROOT / "deploy" / "nginx.conf").read_text().replace("web:8000", f"127.0.0.1:{port}")
            .replace("web:8001", f"127.0.0.1:{redirects}").replace("listen 8000;", f"listen 127.0.0.1:{public};"))
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                          "scgi"))
    (tmp_path / "nginx.conf").write_text(f"""
        {"user root;" if os.geteuid() == 0 else ""} daemon off; worker_processes 1; pid {tmp_path}/nginx.pid;
        error_log {tmp_path}/error.log warn; events {{ worker_connections 64; }}
        http {{ access_log off; {temp} include {tmp_path}/site.conf; }}""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    balancer = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                                start_new_session=True, stderr=subprocess.DEVNULL)

    def get(path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{public}{path}", timeout=5) as res:
                return res.status, res.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()
        except OSError:
            return 0, b""

    try:
        wait_until(lambda: get("/healthz")[0] == 200 and get("/r/a/b")[0] == 404, timeout=90, every=0.5)
        # /r/ reached the redirect server (its plain 404 for a path that is no code), the rest the web app
        assert get("/r/a/b")[1] == b"Not found\n"
        status, page = get("/seller/sign-in")
        assert status == 200 and b"<html" in page.lower()
    finally:
        balancer.send_signal(signal.SIGTERM)
        node.send_signal(signal.SIGTERM)
        balancer.wait(20)
        assert node.wait(40) == 0
