"""Settings for the benchmark processes: the product's settings plus the bare-Django baseline
routes (benchmarks/bench_urls.py) and quiet logs; the harness picks the database and data dir
through the usual environment variables (DATABASE_URL, DATA_DIR, ...).

The baseline views exist only here, never in the product's URLconf."""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# kombu's filesystem broker (the zero-config default) polls its folder once a second; the
# open-latency benchmark sets BENCH_BROKER_POLL to measure how much of the latency that is.
if os.environ.get("BENCH_BROKER_POLL") and "CELERY_BROKER_TRANSPORT_OPTIONS" in globals():
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "polling_interval": float(os.environ["BENCH_BROKER_POLL"]),
    }
