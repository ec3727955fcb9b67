"""Content's side of analytics' :class:`lily.analytics.ports.ContentOrigins`: the template, tone and structure of
the generated draft each post was saved from.

Access pattern: Query ``content_drafts`` pk=org_id, filter ``post_id IN (...)`` (at most 100 ids per Query, paged),
run once per collection message that meets targets never collected before; one draft: GetItem (org, draft_id).
"""

from __future__ import annotations

from lily.analytics.ports import Origin
from lily.content.models import ContentDraft

IN_MAX = 100  # DynamoDB's largest IN list


class DraftOrigins:
    def of_posts(self, org_id: str, post_ids: list[str]) -> dict[tuple[str, str], Origin]:
        found: dict[tuple[str, str], Origin] = {}
        for i in range(0, len(post_ids), IN_MAX):
            chunk = post_ids[i:i + IN_MAX]
            for d in ContentDraft.query(org_id, filter_condition=ContentDraft.post_id.is_in(*chunk),
                                        attributes_to_get=["post_id", "platform", "template_id", "tone",
                                                           "structure"]):
                found.setdefault((d.post_id, d.platform),
                                 Origin(template_id=d.template_id, tone=d.tone, structure=d.structure))
        return found

    def of_draft(self, org_id: str, draft_id: str) -> tuple[str, Origin] | None:
        try:
            d = ContentDraft.get(org_id, draft_id)
        except ContentDraft.DoesNotExist:
            return None
        return d.platform, Origin(template_id=d.template_id, tone=d.tone, structure=d.structure)
