#!/bin/sh
# The one way the product runs in production: the container image (Dockerfile, compose.yaml),
# `make prod` on this machine and CI all call this script. Settings come from the environment
# only (README "Deploy"); with DEBUG unset the process refuses development stand-ins.
#
#   deploy/entrypoint.sh release        checks the deploy settings, migrates (one-shot)
#   deploy/entrypoint.sh collectstatic  hashed + compressed static files into STATIC_ROOT
#   deploy/entrypoint.sh web            gunicorn (WEB_WORKERS sync workers on BIND)
#   deploy/entrypoint.sh worker         a Celery worker (WORKER_CONCURRENCY processes)
#   deploy/entrypoint.sh beat           Celery beat (a Redis lock keeps it to one sender)
set -eu

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings}"
command=${1:-web}
[ $# -gt 0 ] && shift

static_is_collected() {
    root=$($PYTHON -c 'from django.conf import settings; print(settings.STATIC_ROOT)' 2>/dev/null) \
        || return 1
    [ -f "$root/staticfiles.json" ]
}

case "$command" in
release)
    $PYTHON manage.py check --deploy --fail-level "${CHECK_FAIL_LEVEL:-ERROR}"
    exec $PYTHON manage.py migrate --noinput
    ;;
collectstatic)
    exec $PYTHON manage.py collectstatic --noinput --verbosity 0
    ;;
web)
    # Images collect at build time; a plain checkout collects once here.
    static_is_collected || $PYTHON manage.py collectstatic --noinput --verbosity 0
    # Request metrics of all gunicorn workers, aggregated by /metrics (prometheus-client).
    PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-${TMPDIR:-/tmp}/trackpacks-metrics-$$}
    export PROMETHEUS_MULTIPROC_DIR
    rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    # Sync workers: one request and at most one database connection each (CONN_MAX_AGE is
    # safe); the deep backlog queues bursts of new connections instead of resetting them.
    exec $PYTHON -m gunicorn config.wsgi:application \
        --bind "${BIND:-0.0.0.0:8000}" \
        --workers "${WEB_WORKERS:-4}" \
        --worker-class sync \
        --backlog "${WEB_BACKLOG:-2048}" \
        --timeout "${WEB_TIMEOUT:-30}" \
        --graceful-timeout 30 \
        --max-requests 5000 --max-requests-jitter 500 \
        --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
        --access-logfile - --access-logformat '%(h)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s' \
        "$@"
    ;;
worker)
    exec $PYTHON -m celery -A config worker \
        --concurrency "${WORKER_CONCURRENCY:-2}" \
        --loglevel "${LOG_LEVEL:-INFO}" \
        --without-gossip --without-mingle \
        "$@"
    ;;
beat)
    exec $PYTHON -m celery -A config beat \
        --schedule "${BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" \
        --loglevel "${LOG_LEVEL:-INFO}" \
        "$@"
    ;;
*)
    echo "usage: $0 release|collectstatic|web|worker|beat [extra args]" >&2
    exit 64
    ;;
esac
