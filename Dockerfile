# One Sharecast node: `flask serve` supervises the web server (granian, port 8000), the
# event-loop redirect server (port 8001: route /r/ there, deploy/nginx.conf), an RQ worker
# and the click writer against the PostgreSQL and Redis named by DATABASE_URL and
# REDIS_URL. Run more replicas behind a load balancer to add nodes (README, "Scaling").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SHARECAST_INSTANCE=/var/lib/sharecast FLASK_APP=app SHARECAST_REDIRECT_PORT=8001
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/sharecast --uid 10001 sharecast
WORKDIR /srv/sharecast
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=root:root . .
USER sharecast
EXPOSE 8000 8001
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(any(urllib.request.urlopen(u, timeout=2).status != 200 for u in ('http://127.0.0.1:8000/healthz', 'http://127.0.0.1:8001/healthz')))"]
CMD ["flask", "serve", "--host", "0.0.0.0", "--port", "8000"]
