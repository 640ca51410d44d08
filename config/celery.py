"""The Celery app: configured from Django settings (`CELERY_*`), tasks autodiscovered.

Worker: `.venv/bin/celery -A config worker --loglevel=INFO`
Beat:   `.venv/bin/celery -A config beat --loglevel=INFO`"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("trackpacks")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
