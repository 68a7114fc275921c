#!/usr/bin/env bash
# By-hand check of the Docker image on a machine without a registry (not for CI: ~6-10 minutes).
#   bash scripts/docker-check.sh            build, report the image size, run it (SQLite) until healthy
# What it does (as root, on Debian bookworm):
#   * installs Debian's docker.io and debootstrap if missing;
#   * starts a private dockerd (vfs storage, no iptables, no bridge; socket under $DK);
#   * imports a stand-in `python:3.11-slim` made by debootstrap (python3, venv, pip, CA certificates),
#     unless an image of that name is already there;
#   * builds the Dockerfile with the legacy builder and host networking, prints the image size and
#     its layers, runs the image with host networking, waits for HEALTHCHECK "healthy", checks that
#     matplotlib's config dir is writable, and stops it with SIGTERM (expects exit 0).
# Stop the private dockerd afterwards with: kill "$(cat $DK/dockerd.pid)"
set -euo pipefail
cd "$(dirname "$0")/.."
DK=${DK:-/tmp/deskbot-docker}
export DOCKER_HOST=unix://$DK/docker.sock
mkdir -p "$DK"
command -v dockerd >/dev/null && command -v debootstrap >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io debootstrap; }
if ! docker info >/dev/null 2>&1; then
  nohup dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none --data-root "$DK/data" \
    --exec-root "$DK/exec" --pidfile "$DK/dockerd.pid" -H "$DOCKER_HOST" > "$DK/dockerd.log" 2>&1 &
  for _ in $(seq 1 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
fi
if ! docker image inspect python:3.11-slim >/dev/null 2>&1; then
  [ -x "$DK/rootfs/usr/bin/python3" ] || debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,python-is-python3,ca-certificates bookworm "$DK/rootfs" http://deb.debian.org/debian
  # the host's CA bundle too, in case this network inspects TLS with its own CA (stand-in image only)
  cp /etc/ssl/certs/ca-certificates.crt "$DK/rootfs/etc/ssl/certs/ca-certificates.crt"
  tar -C "$DK/rootfs" -c . | docker import - python:3.11-slim
fi
t0=$(date +%s)
DOCKER_BUILDKIT=0 docker build --network host -t deskbot:check . | tail -n 5
echo "build: $(( $(date +%s) - t0 )) s"
docker image inspect deskbot:check --format 'image size: {{.Size}} bytes'
docker history --format '{{.Size}}\t{{.CreatedBy}}' deskbot:check | head -n 12
docker rm -f deskbot-check >/dev/null 2>&1 || true
docker run -d --name deskbot-check --network host -e DESKBOT_HTTP_PORT=18080 \
  -e DESKBOT_DATABASE_URL=sqlite:////data/deskbot.sqlite3 deskbot:check >/dev/null
for _ in $(seq 1 90); do
  state=$(docker inspect -f '{{.State.Health.Status}}' deskbot-check 2>/dev/null || echo gone)
  [ "$state" = healthy ] && break; sleep 2
done
echo "health: $state"
docker exec deskbot-check python -c "import matplotlib, os; print('MPLCONFIGDIR', matplotlib.get_configdir(), os.access(matplotlib.get_configdir(), os.W_OK))"
docker exec deskbot-check sh -c 'stat -c "%a %U %n" /data /data/deskbot.sqlite3; ls /opt/venv/lib/python3*/site-packages/bot/data'
docker stop -t 30 deskbot-check >/dev/null
echo "exit code after SIGTERM: $(docker inspect -f '{{.State.ExitCode}}' deskbot-check)"
docker logs deskbot-check 2>&1 | tail -n 3
docker rm deskbot-check >/dev/null
