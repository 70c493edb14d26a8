# Convonet: one image serves the API, voice endpoints, MCP and dashboards.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    ENVIRONMENT=production DATA_DIR=/app/data HOST=0.0.0.0 PORT=8000

WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml requirements.lock README.md ./
COPY core core
COPY api api
COPY bots bots
COPY processors processors
COPY speech speech
COPY transports transports
COPY domains domains
COPY web web
COPY migrations migrations
RUN pip install -c requirements.lock . \
    && useradd --create-home --uid 10001 convonet \
    && mkdir -p /app/data && chown convonet /app/data

USER convonet
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
# Migrate, then serve. `convonet serve` drains on SIGTERM: live calls get DRAIN_SECONDS (60) and a goodbye,
# then ~10 s to close, so give the container a stop timeout of at least 90 s (docker run --stop-timeout 90,
# compose stop_grace_period: 90s, Kubernetes terminationGracePeriodSeconds: 90). FORWARDED_ALLOW_IPS names
# the load balancer whose X-Forwarded-* headers are believed.
STOPSIGNAL SIGTERM
CMD ["sh", "-c", "convonet migrate && exec convonet serve --host 0.0.0.0 --port 8000"]
