"""Automation HTTP function (lily.publishing): recurring posts, evergreen pools, feeds that post themselves and
bulk imports. Everything they make is an ordinary post that the dispatcher and the exactly-once publisher send."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Response

from lily.composition import approval_gate, scheduling_ports
from lily.core.config import get_settings
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.core.page_query import page_params
from lily.core.pages import PageParams
from lily.identity.access import OrgAccess, OrgRole, org_access
from lily.identity.ratelimit import rate_limit_middleware
from lily.publishing import autofeeds, bulk_import, evergreen, links, recurring
from lily.publishing.ports import SchedulingPorts
from lily.publishing.schemas import (
    EvergreenIn,
    EvergreenList,
    EvergreenOut,
    FeedIn,
    FeedList,
    FeedOut,
    FeedPollOut,
    ImportIn,
    ImportOut,
    LinkIn,
    LinkOut,
    LinkSettingsIn,
    LinkSettingsOut,
    LinkStats,
    RecurringIn,
    RecurringList,
    RecurringOut,
    ShortenTextIn,
    ShortenTextOut,
)

settings = get_settings()
app = create_app("Lily automation", "Recurring posts, evergreen pools, feeds that post themselves, bulk import",
                 middleware=[rate_limit_middleware])
reader = org_access(OrgRole.viewer, scope="automation:read")
writer = org_access(OrgRole.editor, scope="automation:write")
REC = "/api/orgs/{org_id}/recurring"
EVG = "/api/orgs/{org_id}/evergreen"
FEEDS = "/api/orgs/{org_id}/feeds"
IMPORTS = "/api/orgs/{org_id}/imports"
LINKS = "/api/orgs/{org_id}/links"


# ---------------------------------------------------------------- recurring posts

@app.post(REC, response_model=RecurringOut, status_code=201, tags=["recurring"], operation_id="create_recurring",
          responses=errors(404))
def create_recurring(org_id: str, body: RecurringIn, access: OrgAccess = Depends(writer),
                     ports: SchedulingPorts = Depends(scheduling_ports)) -> RecurringOut:
    """A post repeated by a cron or RRULE rule in the org's time zone, with an end; each occurrence becomes a
    scheduled post 48 h ahead (403 below the pro plan; 422 for a bad rule or content its platforms refuse)."""
    return recurring.create(ports, org_id, body)


@app.get(REC, response_model=RecurringList, tags=["recurring"], operation_id="list_recurring")
def list_recurring(org_id: str, access: OrgAccess = Depends(reader),
                   ports: SchedulingPorts = Depends(scheduling_ports),
                   page: PageParams = Depends(page_params)) -> RecurringList:
    return recurring.list_rules(ports, org_id, page)


@app.get(REC + "/{rule_id}", response_model=RecurringOut, tags=["recurring"], operation_id="get_recurring",
         responses=errors(404))
def get_recurring(org_id: str, rule_id: str, access: OrgAccess = Depends(reader),
                  ports: SchedulingPorts = Depends(scheduling_ports)) -> RecurringOut:
    return recurring.get(ports, org_id, rule_id)


@app.post(REC + "/{rule_id}/pause", response_model=RecurringOut, tags=["recurring"], operation_id="pause_recurring",
          responses=errors(404, 409))
def pause_recurring(org_id: str, rule_id: str, access: OrgAccess = Depends(writer),
                    ports: SchedulingPorts = Depends(scheduling_ports)) -> RecurringOut:
    """No new occurrence is made; those already scheduled stay (cancel them as any post)."""
    return recurring.set_paused(ports, org_id, rule_id, True)


@app.post(REC + "/{rule_id}/resume", response_model=RecurringOut, tags=["recurring"],
          operation_id="resume_recurring", responses=errors(404, 409))
def resume_recurring(org_id: str, rule_id: str, access: OrgAccess = Depends(writer),
                     ports: SchedulingPorts = Depends(scheduling_ports)) -> RecurringOut:
    return recurring.set_paused(ports, org_id, rule_id, False)


@app.delete(REC + "/{rule_id}", status_code=204, tags=["recurring"], operation_id="delete_recurring",
            responses=errors(404))
def delete_recurring(org_id: str, rule_id: str, access: OrgAccess = Depends(writer),
                     ports: SchedulingPorts = Depends(scheduling_ports)) -> Response:
    recurring.delete(ports, org_id, rule_id)
    return Response(status_code=204)


# ---------------------------------------------------------------- evergreen pools

@app.post(EVG, response_model=EvergreenOut, status_code=201, tags=["evergreen"], operation_id="create_evergreen",
          responses=errors(404))
def create_evergreen(org_id: str, body: EvergreenIn, access: OrgAccess = Depends(writer),
                     ports: SchedulingPorts = Depends(scheduling_ports)) -> EvergreenOut:
    """Posts recycled every ``interval_hours``, each again after ``min_gap_days``; never one text twice to an X
    account."""
    return evergreen.create(ports, org_id, body)


@app.get(EVG, response_model=EvergreenList, tags=["evergreen"], operation_id="list_evergreen")
def list_evergreen(org_id: str, access: OrgAccess = Depends(reader),
                   ports: SchedulingPorts = Depends(scheduling_ports),
                   page: PageParams = Depends(page_params)) -> EvergreenList:
    return evergreen.list_pools(ports, org_id, page)


@app.get(EVG + "/{pool_id}", response_model=EvergreenOut, tags=["evergreen"], operation_id="get_evergreen",
         responses=errors(404))
def get_evergreen(org_id: str, pool_id: str, access: OrgAccess = Depends(reader),
                  ports: SchedulingPorts = Depends(scheduling_ports)) -> EvergreenOut:
    return evergreen.get(ports, org_id, pool_id)


@app.post(EVG + "/{pool_id}/pause", response_model=EvergreenOut, tags=["evergreen"], operation_id="pause_evergreen",
          responses=errors(404, 409))
def pause_evergreen(org_id: str, pool_id: str, access: OrgAccess = Depends(writer),
                    ports: SchedulingPorts = Depends(scheduling_ports)) -> EvergreenOut:
    return evergreen.set_paused(ports, org_id, pool_id, True)


@app.post(EVG + "/{pool_id}/resume", response_model=EvergreenOut, tags=["evergreen"],
          operation_id="resume_evergreen", responses=errors(404, 409))
def resume_evergreen(org_id: str, pool_id: str, access: OrgAccess = Depends(writer),
                     ports: SchedulingPorts = Depends(scheduling_ports)) -> EvergreenOut:
    return evergreen.set_paused(ports, org_id, pool_id, False)


@app.delete(EVG + "/{pool_id}", status_code=204, tags=["evergreen"], operation_id="delete_evergreen",
            responses=errors(404))
def delete_evergreen(org_id: str, pool_id: str, access: OrgAccess = Depends(writer),
                     ports: SchedulingPorts = Depends(scheduling_ports)) -> Response:
    evergreen.delete(ports, org_id, pool_id)
    return Response(status_code=204)


# ---------------------------------------------------------------- feeds

@app.post(FEEDS, response_model=FeedOut, status_code=201, tags=["feeds"], operation_id="create_feed",
          responses=errors(404))
def create_feed(org_id: str, body: FeedIn, access: OrgAccess = Depends(writer),
                ports: SchedulingPorts = Depends(scheduling_ports)) -> FeedOut:
    """An RSS or Atom feed whose new items become drafts or queued posts (422 when the URL is private, not a feed
    or does not answer)."""
    return autofeeds.create(ports, org_id, body)


@app.get(FEEDS, response_model=FeedList, tags=["feeds"], operation_id="list_feeds")
def list_feeds(org_id: str, access: OrgAccess = Depends(reader),
               ports: SchedulingPorts = Depends(scheduling_ports),
               page: PageParams = Depends(page_params)) -> FeedList:
    return autofeeds.list_feeds(ports, org_id, page)


@app.get(FEEDS + "/{feed_id}", response_model=FeedOut, tags=["feeds"], operation_id="get_feed",
         responses=errors(404))
def get_feed(org_id: str, feed_id: str, access: OrgAccess = Depends(reader),
             ports: SchedulingPorts = Depends(scheduling_ports)) -> FeedOut:
    return autofeeds.get(ports, org_id, feed_id)


@app.post(FEEDS + "/{feed_id}/poll", response_model=FeedPollOut, tags=["feeds"], operation_id="poll_feed",
          responses=errors(404))
def poll_feed(org_id: str, feed_id: str, access: OrgAccess = Depends(writer),
              ports: SchedulingPorts = Depends(scheduling_ports)) -> FeedPollOut:
    """Read the feed now (as its cadence would): what was new, seen, filtered or capped."""
    return autofeeds.poll_now(ports, approval_gate, org_id, feed_id)  # the gate built for approval mode only


@app.post(FEEDS + "/{feed_id}/pause", response_model=FeedOut, tags=["feeds"], operation_id="pause_feed",
          responses=errors(404, 409))
def pause_feed(org_id: str, feed_id: str, access: OrgAccess = Depends(writer),
               ports: SchedulingPorts = Depends(scheduling_ports)) -> FeedOut:
    return autofeeds.set_paused(ports, org_id, feed_id, True)


@app.post(FEEDS + "/{feed_id}/resume", response_model=FeedOut, tags=["feeds"], operation_id="resume_feed",
          responses=errors(404, 409))
def resume_feed(org_id: str, feed_id: str, access: OrgAccess = Depends(writer),
                ports: SchedulingPorts = Depends(scheduling_ports)) -> FeedOut:
    return autofeeds.set_paused(ports, org_id, feed_id, False)


@app.delete(FEEDS + "/{feed_id}", status_code=204, tags=["feeds"], operation_id="delete_feed",
            responses=errors(404))
def delete_feed(org_id: str, feed_id: str, access: OrgAccess = Depends(writer),
                ports: SchedulingPorts = Depends(scheduling_ports)) -> Response:
    autofeeds.delete(ports, org_id, feed_id)
    return Response(status_code=204)


# ---------------------------------------------------------------- bulk import

@app.post(IMPORTS, response_model=ImportOut, status_code=202, tags=["imports"], operation_id="create_import",
          responses=errors(413))
def create_import(org_id: str, body: ImportIn, response: Response, access: OrgAccess = Depends(writer),
                  ports: SchedulingPorts = Depends(scheduling_ports)) -> ImportOut:
    """Validate a CSV or JSON file of posts (each bad row reported, none of them created) and make the good rows
    into posts asynchronously (202; follow ``GET .../imports/{id}``). The same file again answers 200 with the
    first import and creates nothing."""
    answer, replayed = bulk_import.upload(ports, org_id, body, access.principal.subject)
    if replayed:
        response.status_code = 200
    return answer


@app.get(IMPORTS + "/{import_id}", response_model=ImportOut, tags=["imports"], operation_id="get_import",
         responses=errors(404))
def get_import(org_id: str, import_id: str, access: OrgAccess = Depends(reader),
               ports: SchedulingPorts = Depends(scheduling_ports)) -> ImportOut:
    """Progress of an import: rows processed, created, failed (each with why)."""
    return bulk_import.get(ports, org_id, import_id)


# ---------------------------------------------------------------- short links and UTM

@app.get(LINKS + "/settings", response_model=LinkSettingsOut, tags=["links"], operation_id="get_link_settings")
def get_link_settings(org_id: str, access: OrgAccess = Depends(reader),
                      ports: SchedulingPorts = Depends(scheduling_ports)) -> LinkSettingsOut:
    return links.get_settings_of(ports.advanced, org_id)


@app.put(LINKS + "/settings", response_model=LinkSettingsOut, tags=["links"], operation_id="put_link_settings")
def put_link_settings(org_id: str, body: LinkSettingsIn, access: OrgAccess = Depends(writer),
                      ports: SchedulingPorts = Depends(scheduling_ports)) -> LinkSettingsOut:
    """UTM defaults (`default`, then per platform) and the redirect status (301 or 302) of new links."""
    return links.put_settings(ports.advanced, org_id, body)


@app.post(LINKS, response_model=LinkOut, status_code=201, tags=["links"], operation_id="create_link")
def create_link(org_id: str, body: LinkIn, access: OrgAccess = Depends(writer),
                ports: SchedulingPorts = Depends(scheduling_ports)) -> LinkOut:
    """A short link to the URL with the org's UTM parameters for the platform and campaign."""
    return links.shorten(ports.advanced, org_id, body, access.principal.subject)


@app.post(LINKS + "/shorten-text", response_model=ShortenTextOut, tags=["links"], operation_id="shorten_text")
def shorten_text(org_id: str, body: ShortenTextIn, access: OrgAccess = Depends(writer),
                 ports: SchedulingPorts = Depends(scheduling_ports)) -> ShortenTextOut:
    """Every URL of a post's text replaced by a short link with UTM parameters."""
    return links.shorten_text(ports.advanced, org_id, body, access.principal.subject)


@app.get(LINKS + "/{code}", response_model=LinkStats, tags=["links"], operation_id="get_link",
         responses=errors(404))
def get_link(org_id: str, code: str, access: OrgAccess = Depends(reader),
             ports: SchedulingPorts = Depends(scheduling_ports)) -> LinkStats:
    """The link, its clicks and its distinct visitors per day (the last 90 days)."""
    return links.stats(ports.advanced, org_id, code)


handler = http_handler(app)
