# syntax=docker/dockerfile:1
# The production image: the app and its runtime dependencies only (no dev extras, no Node,
# no Brownie), run as a non-root user through deploy/entrypoint.sh, the same script `make prod`
# and CI run. Images cannot be built on the project's machines; the script they call is tested.
#
#   docker build -t trackpacks .
#   docker compose up          (compose.yaml: migrate once, then web, worker, beat)

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN python -m venv /venv
COPY pyproject.toml README.md ./
COPY config ./config
COPY core ./core
COPY accounts ./accounts
COPY trackpacks ./trackpacks
COPY payments ./payments
COPY chain ./chain
COPY ipfs ./ipfs
RUN /venv/bin/pip install --no-compile . \
    && /venv/bin/pip uninstall -y trackpacks

FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    STATIC_ROOT=/app/staticfiles \
    DATA_DIR=/data \
    BEAT_SCHEDULE_FILE=/data/celerybeat-schedule
RUN groupadd --system app && useradd --system --gid app --home-dir /app app \
    && mkdir -p /data && chown app:app /data
WORKDIR /app
COPY --from=build /venv /venv
COPY --chown=app:app . .
# Hashed, compressed static files baked into the image. Settings refuse to load without the
# production variables, so placeholders stand in for this one build step only.
RUN DEBUG=false SECRET_KEY=build-only-placeholder-secret-key-never-used-at-run-time-0123456789 \
    JWT_SIGNING_KEY=build-only-placeholder-jwt-key-0123456789 ALLOWED_HOSTS=build \
    REDIS_URL=redis://build:6379/0 STRIPE_SECRET_KEY=sk_build STRIPE_WEBHOOK_SECRET=whsec_build \
    deploy/entrypoint.sh collectstatic \
    && rm -rf /app/.venv /app/node_modules /app/tests /app/benchmarks /app/data
USER app
EXPOSE 8000
VOLUME ["/data"]
ENTRYPOINT ["deploy/entrypoint.sh"]
CMD ["web"]
