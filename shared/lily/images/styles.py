"""The style vault: an organization's reusable styles (CRUD, names unique per org, optimistic versions)."""

from __future__ import annotations

from lily.ai.ports import AIPort, CallContext
from lily.core import clock, ids, limits
from lily.core.db import won
from lily.core.errors import ErrorCode, LilyError, conflict, not_found
from lily.core.observability import count
from lily.core.pages import PageParams, query_page
from lily.images.models import ImageStyle
from lily.images.schemas import StyleIn, StyleOut, StylePage, StylePut

MAX_STYLES = 50  # per org, held by lily.core.limits (one conditional write per creation)
PREFIX = "sty_"  # every style id; the table's other row per org is the limit's counter


def _out(item: ImageStyle) -> StyleOut:
    return StyleOut(style_id=item.style_id, version=int(item.version), created_at=item.created_at,
                    updated_at=item.updated_at, **StyleIn(**item.data).model_dump())


def _item(org_id: str, style_id: str) -> ImageStyle:
    if not style_id.startswith(PREFIX):
        raise not_found("Style", style_id=style_id[:80])
    try:
        return ImageStyle.get(org_id, style_id, consistent_read=True)
    except ImageStyle.DoesNotExist:
        raise not_found("Style", style_id=style_id) from None


def _check_name(org_id: str, name: str, style_id: str | None = None) -> None:
    styles = list(ImageStyle.query(org_id, ImageStyle.style_id.startswith(PREFIX), limit=MAX_STYLES + 1))
    if any(StyleIn(**s.data).name.lower() == name.lower() and s.style_id != style_id for s in styles):
        raise LilyError(ErrorCode.VALIDATION_003, "A style with this name exists", {"name": name})


def screen(ai: AIPort, org_id: str, body: StyleIn, user_id: str | None) -> None:
    """A stored style's free text is moderated when it is written (CONTENT_004 naming the field and categories),
    as well as in every prompt it ends up in."""
    fields = {"name": body.name, "description": body.description, "visual_style": body.visual_style or "",
              "mood": body.mood or "", "prompt": body.prompt, "avoid": ", ".join(body.avoid)}
    names = [k for k, v in fields.items() if v.strip()]
    ctx = CallContext(org_id=org_id, user_id=user_id, feature="images.style")
    for name, verdict in zip(names, ai.moderate([fields[k] for k in names], ctx), strict=True):
        if verdict.flagged:
            count("image_moderation_blocks_total", stage="style")
            raise LilyError(ErrorCode.CONTENT_004, f"The style's {name} was blocked by moderation",
                            {"stage": "style", "field": name, "categories": verdict.categories})


def create(ai: AIPort, org_id: str, body: StyleIn, user_id: str | None) -> StyleOut:
    _check_name(org_id, body.name)
    screen(ai, org_id, body, user_id)
    if not limits.take_slot(ImageStyle, org_id, MAX_STYLES, PREFIX):
        raise LilyError(ErrorCode.VALIDATION_002, "The style vault is full", {"max": MAX_STYLES})
    now = clock.now()
    item = ImageStyle(org_id, ids.new_id("sty"), data=body.model_dump(mode="json"), created_by=user_id,
                      created_at=now, updated_at=now)
    try:
        item.save(condition=ImageStyle.style_id.does_not_exist())
    except Exception:
        limits.give_slot(ImageStyle, org_id)
        raise
    return _out(item)


def get(org_id: str, style_id: str) -> StyleOut:
    return _out(_item(org_id, style_id))


def style_of(org_id: str, style_id: str) -> StyleIn:
    return StyleIn(**_item(org_id, style_id).data)


def list_styles(org_id: str, page: PageParams) -> StylePage:
    items, cursor = query_page(
        lambda start, n: ImageStyle.query(org_id, ImageStyle.style_id.startswith(PREFIX), last_evaluated_key=start,
                                          limit=n), {"org_id": org_id}, page, _out)
    return StylePage(items=items, next_cursor=cursor)


def update(ai: AIPort, org_id: str, style_id: str, body: StylePut, user_id: str | None = None) -> StyleOut:
    item = _item(org_id, style_id)
    version = int(item.version)
    if body.expected_version is not None and body.expected_version != version:
        raise conflict("the style changed; reload it", version=version, expected=body.expected_version)
    data = StyleIn(**body.model_dump(exclude={"expected_version"}))
    _check_name(org_id, data.name, style_id)
    screen(ai, org_id, data, user_id)
    if not won(lambda: item.update(actions=[ImageStyle.data.set(data.model_dump(mode="json")),
                                            ImageStyle.version.set(version + 1),
                                            ImageStyle.updated_at.set(clock.now())],
                                   condition=ImageStyle.version == version)):
        raise conflict("the style changed; reload it", expected=version)
    return _out(item)  # update() refreshed the item from what DynamoDB stored


def delete(org_id: str, style_id: str) -> None:
    item = _item(org_id, style_id)
    if won(lambda: item.delete(condition=ImageStyle.style_id.exists())):  # once, however many deletes race
        limits.give_slot(ImageStyle, org_id)
