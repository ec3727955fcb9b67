"""Public short-link redirect (lily.publishing.links): ``GET /l/{code}`` answers 301/302 to the target of a link
Lily created, and counts the click (visitors by a keyed hash of the address, never the address)."""

import lily.core.gc_pause  # noqa: F401 - first: no garbage collection during init (lily.core.gc_pause)

# isort: split

from fastapi import Depends, Path
from fastapi.responses import RedirectResponse

from lily.core.config import get_settings
from lily.core.http import create_app, http_handler
from lily.core.openapi import errors
from lily.identity.access import public_route
from lily.identity.ratelimit import rate_limit_middleware
from lily.identity.request_ip import current_ip
from lily.publishing import links

settings = get_settings()
app = create_app("Lily links", "Short-link redirects", middleware=[rate_limit_middleware])


@app.get("/l/{code}", status_code=302, tags=["links"], operation_id="follow_link", response_class=RedirectResponse,
         dependencies=[Depends(public_route)],
         responses={301: {"description": "Moved permanently (the org chose 301)"},
                    302: {"description": "Found: the link's target"}, **errors(404)})
def follow_link(code: str = Path(max_length=16)) -> RedirectResponse:
    """Redirect to the link's target; only links Lily created redirect (unknown codes answer 404)."""
    url, status = links.resolve(code, current_ip())
    return RedirectResponse(url, status_code=status, headers={"Cache-Control": "private, max-age=0",
                                                              "Referrer-Policy": "no-referrer-when-downgrade"})


handler = http_handler(app)
