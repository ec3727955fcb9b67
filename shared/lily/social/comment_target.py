"""What a comment answers (:class:`CommentOn`), in a module of its own: the inbox's HTTP function names it without
loading the adapters' HTTP client (:mod:`lily.social.platforms.base` re-exports it for the adapters)."""

from __future__ import annotations

from pydantic import Field

from lily.core.schema import Schema


class CommentOn(Schema):
    """What a comment answers: a post (a first comment; X: the post replied to) or a comment on a post (a reply
    from the inbox)."""

    post_id: str = Field(description="X post id; Graph Page post or IG media id; LinkedIn share/ugcPost URN")
    comment_id: str | None = Field(None, description="The comment answered: Graph or IG comment id, LinkedIn "
                                                     "comment URN (X has no comments: a reply answers post_id)")
