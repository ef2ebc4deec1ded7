"""gunicorn settings for Sharecast's web processes (production and ``flask serve``)."""
import multiprocessing
import os

# Each redirect waits ~50 µs on Redis (the click hand-off) while using the CPU
# for ~100 µs, so more sync workers than gunicorn's usual 2×cores keep both
# cores busy; measured with bench/bench_redirect.py.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 4))
worker_class = "sync"
# The redirect is CPU-light and answers in well under a millisecond; short
# timeouts keep a stuck worker from holding connections.
timeout = 30
keepalive = 2
accesslog = os.environ.get("SHARECAST_ACCESS_LOG") or None
proc_name = "sharecast-web"


def on_starting(server):
    # Migrate once, in the master, before any worker imports the models.
    if os.environ.get("SHARECAST_SKIP_MIGRATIONS"):
        return
    from app import create_app
    import migrate

    migrate.upgrade(create_app().config["DATABASE_URL"])
