from lily.core.functions import FunctionSpec, Http

FUNCTION = FunctionSpec(
    name="console",
    description="The web console under /app: server-rendered pages (Jinja2, htmx) calling the public API with the "
                "signed-in person's session; no table, queue or secret of its own",
    trigger=Http(prefixes=["/app"], public=True),
    memory_mb=512,
    timeout_s=29,
    # every page renders a Jinja2 template and calls the API with httpx: both imported at init, in the snapshot
    primes=("jinja2", "httpx"),
)
