"""Approval tables and their access patterns.

``approval_policies`` — pk ``org_id``: who needs approval before publishing.
  - read the policy: GetItem (absent: approval off, the PRODUCT default)
  - change it: PutItem conditional on ``version`` (optimistic)

``approval_requests`` — pk ``org_id``, sk ``request_id`` (ULID-based: in submission order).
  - one request: GetItem
  - the open queue (``GET .../approvals``): Query GSI ``open`` pk ``open_org`` (set only while the request is
    pending: a sparse index, so decided requests cost the list nothing), oldest first, cursor paged
  - a subject's open request (a post scheduled directly by an approver): the same Query, filtered on
    ``subject_id``
  - history (``?status=all``): Query pk ``org_id`` newest first, cursor paged
  - a decision: UpdateItem conditional on ``status == "pending"`` (two approvers never both decide)
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from lily.core.db import LilyModel, TableMeta
from lily.core.retention import Anonymise, DataRule, Erase, Export, Partition, Scan


class ApprovalPolicy(LilyModel):
    class Meta(TableMeta):
        short_name = "approval_policies"
        data = DataRule(
            retention="while the organization exists", org=Partition(), user=Scan("updated_by"), export=Export(),
            erase=Erase.DELETE, on_user_erased=Anonymise(("updated_by",)))

    org_id = UnicodeAttribute(hash_key=True)
    roles = JSONAttribute(default=list)  # org roles whose posts wait for approval, e.g. ["editor"]
    autopilot = BooleanAttribute(default=False)  # everything autopilot makes waits too
    approver_roles = JSONAttribute(default=list)  # roles besides admin and owner that may decide, e.g. ["editor"]
    updated_by = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = NumberAttribute(default=0)


class OpenRequests(GlobalSecondaryIndex):
    class Meta:
        index_name = "open"
        projection = AllProjection()

    open_org = UnicodeAttribute(hash_key=True)
    request_id = UnicodeAttribute(range_key=True)


class ApprovalRequest(LilyModel):
    class Meta(TableMeta):
        short_name = "approval_requests"
        data = DataRule(
            retention="while the organization exists", org=Partition(), user=Scan("requested_by"),
            user_also=(Scan("decided_by"),), export=Export(), erase=Erase.DELETE,
            on_user_erased=Anonymise(("requested_by", "decided_by",)))

    org_id = UnicodeAttribute(hash_key=True)
    request_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # post | draft
    subject_id = UnicodeAttribute()  # post_id or draft_id
    origin = UnicodeAttribute(default="user")  # user | autopilot | feed (a feed in approval mode)
    status = UnicodeAttribute(default="pending")  # pending | approved | rejected | changes_requested
    summary = UnicodeAttribute(default="")  # the text's first 280 characters, for the queue
    requested_by = UnicodeAttribute(null=True)
    requested_at = UTCDateTimeAttribute()
    scheduled_at = UTCDateTimeAttribute(null=True)  # the instant asked for (posts)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    comment = UnicodeAttribute(null=True)
    edited = BooleanAttribute(default=False)  # approved with the approver's own text
    open_org = UnicodeAttribute(null=True)  # = org_id while pending (the sparse ``open`` index)
    open = OpenRequests()
