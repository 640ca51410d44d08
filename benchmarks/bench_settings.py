"""Settings for the benchmark processes: the product's settings plus the bare-Django baseline
routes (benchmarks/bench_urls.py) and quiet logs; the harness picks the database and data dir
through the usual environment variables (DATABASE_URL, DATA_DIR, ...).

The baseline views exist only here, never in the product's URLconf."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
