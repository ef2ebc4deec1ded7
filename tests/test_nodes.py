"""Several nodes behind a load balancer, against one PostgreSQL and one Redis.

Each node is a whole ``flask serve`` (web server, event-loop redirect server, RQ worker
with its scheduler, click writer) with its own process group, instance folder, temporary
folder and ports, as on separate hosts; nginx (Debian's) balances between them, sending
``/r/`` to the redirect servers and the rest to the web servers. Nothing is shared but the
database and Redis.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from http.client import HTTPConnection
from pathlib import Path
from shutil import which

import psutil
import pytest
import redis
from conftest import BROWSER, CAMPAIGN
from servers import WebhookReceiver
from test_ops import metric
from test_serve import Service, Traffic, free_port, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.backend_matters,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql")
                       or not os.environ.get("REDIS_URL"), reason="nodes share one PostgreSQL and one Redis"),
    pytest.mark.skipif(not which("nginx") and not Path("/usr/sbin/nginx").exists(), reason="needs nginx"),
]
NGINX = which("nginx") or "/usr/sbin/nginx"
CLAIM_IDLE = 3  # seconds before a live writer claims a dead one's clicks (60 by default)


class Node(Service):
    def __init__(self, folder: Path, public_url: str):
        folder.mkdir(parents=True)
        (folder / "tmp").mkdir()
        self.redirect_port = free_port()
        super().__init__(folder, workers=1, TMPDIR=str(folder / "tmp"), SHARECAST_PUBLIC_URL=public_url,
                         SHARECAST_REDIRECT_PORT=str(self.redirect_port),
                         SHARECAST_ALLOW_PRIVATE_TARGETS="1", SHARECAST_CLICK_CLAIM_IDLE_SECONDS=str(CLAIM_IDLE),
                         SHARECAST_WORKER_MAINTENANCE_SECONDS="5", SHARECAST_LOG_FORMAT="text",
                         SHARECAST_LOG_LEVEL="WARNING", SECRET_KEY="one-secret-for-every-node")
        self.followed = 0

    def lose(self) -> None:
        """The host vanishes: every process of the node dies at once, nothing shuts down cleanly."""
        family = [self.proc, *(psutil.Process(p.pid) for p in self.tree())]
        for process in family:
            try:
                os.kill(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)

    def start(self, output: Path | None = None) -> None:
        super().start(output)
        wait_until(lambda: _answers(self.redirect_port))

    def locations(self, code: str) -> list[tuple[int, str]]:
        """Follow ``code`` on this node alone, on its redirect server and on its web server (a counted
        click each when they redirect): their statuses and locations (without the click id)."""
        answers = []
        for port in self.redirect_port, self.port:
            conn = HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request("GET", f"/r/{code}", headers={"User-Agent": BROWSER})
                res = conn.getresponse()
                self.followed += res.status == 302
                answers.append((res.status, res.getheader("Location", "").split("sc_click=")[0]))
            finally:
                conn.close()
        return answers


class Balancer:
    """nginx in front of the nodes: round robin, a failed attempt tried on the next node."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        folder.mkdir(parents=True)

    def configure(self, nodes: list[Node]) -> None:
        servers = "\n".join(f"server 127.0.0.1:{n.port} max_fails=1 fail_timeout=30s;" for n in nodes)
        redirects = "\n".join(f"server 127.0.0.1:{n.redirect_port} max_fails=1 fail_timeout=30s;" for n in nodes)
        proxy = """proxy_http_version 1.1; proxy_set_header Connection "";
                        proxy_set_header Host $http_host;
                        proxy_connect_timeout 1s;
                        proxy_next_upstream error timeout http_502 http_503;"""
        temp = " ".join(f"{kind}_temp_path {self.folder}/{kind};" for kind in
                        ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;" if os.geteuid() == 0 else ""
        (self.folder / "nginx.conf").write_text(f"""
            {user} daemon off; worker_processes 1; pid {self.folder}/nginx.pid;
            error_log {self.folder}/error.log warn;
            events {{ worker_connections 512; }}
            http {{
                access_log off; {temp}
                upstream nodes {{ {servers} keepalive 16; }}
                upstream redirects {{ {redirects} keepalive 16; }}
                server {{
                    listen 127.0.0.1:{self.port};
                    location /r/ {{ proxy_pass http://redirects; {proxy} }}
                    location / {{ proxy_pass http://nodes; {proxy} }}
                }}
            }}""")

    def start(self) -> None:
        self.proc = subprocess.Popen([NGINX, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")],
                                     start_new_session=True, stderr=subprocess.DEVNULL)
        wait_until(lambda: _answers(self.port))

    def reload(self) -> None:
        subprocess.run([NGINX, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"), "-s", "reload"],
                       check=True, capture_output=True, timeout=30)

    def resent(self) -> int:
        """Redirects a node took and closed without answering, which nginx then sent to the next node."""
        log = (self.folder / "error.log").read_text(errors="replace").splitlines()
        return sum("[error]" in line and "while reading response header from upstream" in line
                   and '"GET /r/' in line for line in log)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)


def _answers(port: int) -> bool:
    conn = HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    finally:
        conn.close()


def test_nodes_behind_a_balancer_share_links_jobs_and_clicks_and_survive_losing_one(tmp_path):
    balancer = Balancer(tmp_path / "lb")
    public = f"http://127.0.0.1:{balancer.port}"
    nodes = [Node(tmp_path / name, public) for name in ("a", "b", "c")]
    events = WebhookReceiver()
    late: Node | None = None
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # nothing left by earlier tests in the shared Redis
    try:
        for node in nodes:
            node.start()
        balancer.configure(nodes)
        balancer.start()
        a, b, c = nodes
        r = redis.Redis.from_url(os.environ["REDIS_URL"])

        key, campaign, link = a.seed()
        code = link["code"]
        endpoint = b.call("POST", "/api/v1/webhooks", key, {"url": events.url("/events"), "events": ["post.published"]})
        assert endpoint["secret"].startswith("whsec_")

        # Links: every node follows the link; an edit made through one reaches all within two seconds.
        for node in nodes:
            assert [status for status, _ in node.locations(code)] == [302, 302]
        new_landing = "https://shop.example.com/p/longjing-2?utm_source=sharecast"
        c.call("PATCH", f"/api/v1/campaigns/{campaign['id']}", key, {"landing_url": new_landing})
        edited = time.time()
        wait_until(lambda: all(location.startswith(new_landing) for n in nodes for _, location in n.locations(code)),
                   timeout=5, every=0.05)
        assert time.time() - edited < 2.5

        # Load through the balancer; one node's click writer holds clicks it has read but not
        # written when the whole node is lost.
        traffic = Traffic(balancer.port, code, limit=3_000, seconds=60)
        traffic.start()
        time.sleep(2)
        writers = [n.child("click-writer") for n in nodes]
        for writer in writers:  # so that B's consumer, not a live writer, takes the next clicks
            os.kill(writer.pid, signal.SIGSTOP)
        consumer_b = _consumer_of(r, b)
        held = r.xreadgroup("click-writers", consumer_b, {"sc:clicks": ">"}, count=25, block=5000)
        for writer in writers[0], writers[2]:
            os.kill(writer.pid, signal.SIGCONT)
        time.sleep(1)
        b.lose()
        time.sleep(2)

        # A job planned after the loss runs once, wherever the scheduler now is.
        soon = (datetime.now(timezone.utc) + timedelta(seconds=3)).isoformat()
        a.call("POST", f"/api/v1/campaigns/{campaign['id']}/schedule", key,
               {"publications": [{"channel": ch, "publish_at": soon} for ch in CAMPAIGN["channels"]]})

        # A node added later joins without touching the others.
        late = Node(tmp_path / "d", public)
        late.start()
        balancer.configure([a, c, late])  # b is gone; d is in
        balancer.reload()
        time.sleep(3)
        traffic.finish()
        assert traffic.failed == [] and traffic.answered > 200

        answered = traffic.answered + sum(n.followed for n in nodes)
        # A redirect the lost node had recorded but not yet answered when it died, the balancer sends
        # to another node (a GET is safe to repeat): that one visit is then two clicks. Only those.
        resent = balancer.resent()
        try:
            wait_until(lambda: a.clicks(key, campaign) >= answered and _drained(r), timeout=90)
        except AssertionError:
            raise AssertionError(f"{a.clicks(key, campaign)} clicks recorded for {answered} answered") from None
        assert held and held[0][1], "the lost node held clicks it had read"
        consumers = {x["name"].decode() for x in r.xinfo_consumers("sc:clicks", "click-writers")}
        assert _consumer_of(r, late) in consumers
        recorded = a.clicks(key, campaign)
        assert answered <= recorded <= answered + resent, (recorded, answered, resent)  # each written once

        published = wait_until(lambda: _published(a, key, campaign), timeout=150, every=1)
        assert sorted(p["channel"] for p in published) == sorted(CAMPAIGN["channels"])
        assert all(p["attempts"] == 1 for p in published)
        wait_until(lambda: len(events.calls) >= len(published), timeout=60)
        time.sleep(2)
        channels = [call["body"]["data"]["channel"] for call in events.calls]
        assert sorted(channels) == sorted(CAMPAIGN["channels"])  # one event each: nothing ran twice

        # The late node took its share of the load and writes clicks.
        with_late = Traffic(balancer.port, code, limit=300, seconds=30)
        with_late.start()
        with_late.join(40)
        assert with_late.failed == [] and with_late.answered == 300
        wait_until(lambda: a.clicks(key, campaign) == recorded + 300, timeout=60)

        def redirected_by_late() -> float:
            with urllib.request.urlopen(f"http://127.0.0.1:{late.port}/metrics", timeout=10) as res:
                return metric(res.read().decode(), 'sharecast_redirects_total{outcome="found"}')

        # Its redirect servers count for Prometheus once a second: a second or two of lag.
        wait_until(lambda: redirected_by_late() >= 50, timeout=10, every=0.5)
    finally:
        balancer.stop()
        for node in [*nodes, *([late] if late else [])]:
            node.stop()
        events.close()


def _drained(r: redis.Redis) -> bool:
    """Every entry of the click stream read by a writer, and every one read written (acknowledged)."""
    [group] = [g for g in r.xinfo_groups("sc:clicks") if g["name"] == b"click-writers"]
    return group["pending"] == 0 and group["last-delivered-id"] == r.xinfo_stream("sc:clicks")["last-generated-id"]


def _consumer_of(r: redis.Redis, node: Node) -> str:
    """The node's click writer's name in the consumer group (its host and instance folder)."""
    from referrals.clickwriter import consumer_name

    return consumer_name({"CLICK_CONSUMER": "", "INSTANCE_PATH": node.instance})


def _published(node: Node, key: str, campaign: dict) -> list[dict] | None:
    pubs = node.call("GET", f"/api/v1/campaigns/{campaign['id']}", key)["publications"]
    return pubs if pubs and all(p["status"] == "published" for p in pubs) else None
