"""`flask serve` end to end: real gunicorn, real worker, real backends.

The redirect answers only after the click is in Redis, so killing the web
processes right after an answer (and the worker before it could write) loses
nothing: after a restart the click is in the database.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.client import HTTPConnection
from pathlib import Path

import psutil
import pytest

from conftest import BROWSER, CAMPAIGN

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout=60.0, every=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = check()
            if value:
                return value
        except OSError:
            pass
        time.sleep(every)
    raise AssertionError(f"gave up after {timeout}s")


class Service:
    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.env = dict(os.environ, SHARECAST_INSTANCE=str(tmp_path / "instance"),
                        SHARECAST_PUBLIC_URL=f"http://127.0.0.1:{self.port}", WEB_CONCURRENCY="2")
        self.proc = None

    def cli(self, *args) -> str:
        out = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=self.env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "serve", "--port", str(self.port)],
                                     cwd=ROOT, env=self.env, start_new_session=True)
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=1).close() or True)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def children(self, word: str) -> list[psutil.Process]:
        found = []
        for p in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                if word in " ".join(p.cmdline()):
                    found.append(p)
            except (psutil.ZombieProcess, psutil.NoSuchProcess):
                pass
        return found

    def call(self, method: str, path: str, key: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.loads(res.read())


def test_a_click_answered_just_before_the_web_processes_die_is_not_lost(tmp_path):
    service = Service(tmp_path)
    service.start()
    try:
        key = json.loads(service.cli("workspace", "create", "--name", "Serve Tea"))["api_key"]
        campaign = service.call("POST", "/api/v1/campaigns", key, CAMPAIGN)
        sharer = service.call("POST", "/api/v1/sharers", key, {"name": "小林"})
        link = service.call("POST", "/api/v1/links", key, {"campaign_id": campaign["id"], "sharer_id": sharer["id"]})
        # The click writer goes first, so nothing can write the click before the web dies.
        writers = wait_until(lambda: service.children("spawn_main"))
        assert len(writers) == 1
        writers[0].kill()
        conn = HTTPConnection("127.0.0.1", service.port, timeout=10)
        conn.request("GET", f"/r/{link['code']}", headers={"User-Agent": BROWSER})
        answer = conn.getresponse()
        for proc in service.children("gunicorn"):
            proc.kill()
        assert answer.status == 302 and "sc_click=" in answer.getheader("Location")
        service.proc.wait(60)  # serve stops once a child has died
        service.start()
        stats = wait_until(lambda: (s := service.call("GET", f"/api/v1/campaigns/{campaign['id']}/stats", key))["clicks"] and s)
        assert stats["clicks"] == 1 and stats["unique_clicks"] == 1
        # A click writer that dies is replaced by the worker, and clicks keep flowing.
        old = wait_until(lambda: service.children("spawn_main"))[0]
        old.kill()
        wait_until(lambda: [p for p in service.children("spawn_main") if p.pid != old.pid])
        conn = HTTPConnection("127.0.0.1", service.port, timeout=10)
        conn.request("GET", f"/r/{link['code']}", headers={"User-Agent": BROWSER})
        assert conn.getresponse().status == 302
        wait_until(lambda: service.call("GET", f"/api/v1/campaigns/{campaign['id']}/stats", key)["clicks"] == 2)
    finally:
        service.stop()
    assert service.proc.returncode == 0
