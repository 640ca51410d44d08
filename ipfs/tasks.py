"""Background freezes: with Pinata, uploading a batch's media can outlast a web request."""

import logging

from celery import shared_task

from core.errors import ApplicationError

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]
def batch_freeze_task(batch_id: int) -> None:
    from trackpacks.freeze import batch_freeze

    try:
        batch = batch_freeze(batch_id=batch_id)
    except ApplicationError as exc:
        # Each object's pin status and last error are in the admin and /health/.
        logger.error("Freezing batch %s failed (%s): %s %s", batch_id, exc.code, exc, exc.details)
        return
    logger.info("Batch %s frozen: ipfs://%s/", batch_id, batch.metadata_cid)
