"""Queue worker for Stripe events: state comes from the subscription as Stripe has it now."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from lily.billing import worker
from lily.billing.messages import BillingMessage
from lily.composition import billing_ports
from lily.core.config import get_settings
from lily.core.handlers import queue_handler

settings = get_settings()
ports = billing_ports()  # the plan change listeners every applied plan notifies


class BillingRecord(SqsRecordModel):
    body: Json[BillingMessage]


def record(record: BillingRecord) -> str:
    return worker.process_event(ports, record.body.model_dump())


handler = queue_handler(BillingRecord, record)
