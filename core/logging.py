"""Request ids: one per request, echoed in `X-Request-ID` and stamped on every log line."""

import logging
import re
from contextvars import ContextVar

from django.views.debug import SafeExceptionReporterFilter

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class SecretsReporterFilter(SafeExceptionReporterFilter):
    """Masks, on error pages and in error reports, every setting and request header whose name
    says it may hold a credential. Django's default list misses mnemonics, private keys,
    webhook secrets, DSNs and URLs with credentials in them (RPC, database, broker, cache)."""

    hidden_settings = re.compile(
        r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|COOKIE|JWT|MNEMONIC|PRIVATE|SEED|WEBHOOK"
        r"|DSN|_URL$|^URL$|LOCATION|CREDENTIAL",
        flags=re.IGNORECASE,
    )
