#!/usr/bin/env bash
# Start the machine's PostgreSQL if it is installed but not running (the store tests need it at
# 127.0.0.1:5432; with CI=true a missing server fails them). Does nothing where none is installed.
set -u
if command -v pg_isready >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p 5432 -q; then
  exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for v in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
  done
  for _ in $(seq 1 20); do pg_isready -h 127.0.0.1 -p 5432 -q && exit 0; sleep 0.5; done
fi
echo "note: no PostgreSQL at 127.0.0.1:5432 (its tests skip, or fail with CI=true)" >&2
exit 0
