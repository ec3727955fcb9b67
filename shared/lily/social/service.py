"""The social use cases the ``social`` function calls, in one import (``from lily.social import service``).

Each lives in the module named after it; new code imports from there: :mod:`connect` (the OAuth dance and
account selection), :mod:`connections` (the one path that stores a connection; list, inspect,
disconnect), :mod:`notices` (re-authorization notices), :mod:`schemas` (response models). The plan-change
listener is :func:`lily.social.plan_limits.pause_over_limit`, wired in :mod:`lily.composition`.
"""

from lily.social.connect import complete, flow_cookie_name, select_accounts, selection_accounts, start_connect
from lily.social.connections import disconnect, get_connection, list_connections
from lily.social.notices import notices
from lily.social.schemas import AccountChoice, ConnectionView, ConnectResult, ConnectStart, NoticeView

__all__ = [
    "AccountChoice", "ConnectResult", "ConnectStart", "ConnectionView", "NoticeView", "complete", "disconnect",
    "flow_cookie_name",
    "get_connection", "list_connections", "notices", "select_accounts", "selection_accounts", "start_connect",
]
