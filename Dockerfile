# syntax=docker/dockerfile:1
# deskbot: one container runs every configured transport, the scheduler and /healthz + /metrics.
#   docker build -t deskbot .
#   docker run -d --name deskbot -p 127.0.0.1:8080:8080 -v deskbot-data:/data \
#     -e DESKBOT_TELEGRAM_TOKEN=... deskbot
# See docs/guide-admin.md and docker-compose.yml (with PostgreSQL).

############################ builder: a venv with the locked dependencies and deskbot ############################
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# compilers for dependencies without a wheel for this platform (e.g. python-olm on arm64)
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
WORKDIR /src
# dependencies first (better layer cache): exactly the pinned, hash-checked versions of requirements.lock
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.lock
# then deskbot itself (setup.py copies config/demo_world.yaml into the package)
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY config/ ./config/
COPY bot/ ./bot/
RUN /opt/venv/bin/pip install --no-deps . \
 && /opt/venv/bin/pip check

############################ runtime: slim, no compilers, no wheels, non-root ############################
FROM python:3.11-slim AS runtime

# MPLCONFIGDIR: HOME (/app) is read-only for the bot; without a writable dir matplotlib rebuilds
# its font cache in every process
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    MPLCONFIGDIR=/tmp/matplotlib \
    DESKBOT_HTTP_PORT=8080 \
    DESKBOT_DATA_DIR=/data \
    DESKBOT_TELEGRAM_WEBHOOK_LISTEN=0.0.0.0 \
    DESKBOT_WORLD_FILE=/app/config/demo_world.yaml

RUN groupadd --system --gid 10001 deskbot \
 && useradd --system --uid 10001 --gid deskbot --home-dir /app --shell /usr/sbin/nologin deskbot

# the whole venv in one layer: no wheel files or pip caches stay behind in the image
COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
COPY --chown=root:root config/ /app/config/
RUN mkdir -p /data && chown deskbot:deskbot /data && chmod 0700 /data
VOLUME ["/data"]

USER deskbot:deskbot
EXPOSE 8080

# /healthz answers 200 when the database, the transports and the scheduler are fine (no curl needed)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('DESKBOT_HTTP_PORT', '8080'), timeout=4).status == 200 else 1)"]

# SIGTERM (docker stop) -> graceful shutdown; give it time: docker stop -t 30 / stop_grace_period
STOPSIGNAL SIGTERM
ENTRYPOINT ["deskbot"]
CMD ["run"]
