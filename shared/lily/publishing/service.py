"""The post use cases the ``content`` function calls, in one import (``from lily.publishing import service``).

Each lives in the module named after it; new code imports from there: :mod:`posts` (read one post, the
content library), :mod:`drafts` (create, edit, delete), :mod:`scheduling` (schedule, cancel),
:mod:`media` (uploads), :mod:`schemas` (request and response models).
"""

from lily.publishing.drafts import create_post, delete_post, update_post
from lily.publishing.posts import get_post, list_posts, parse_date
from lily.publishing.scheduling import cancel, schedule

__all__ = ["cancel", "create_post", "delete_post", "get_post", "list_posts", "parse_date", "schedule",
           "update_post"]
