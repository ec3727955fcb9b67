"""Publishing: posts, scheduling and exactly-once delivery to the social platforms.

- ``models``: posts, post targets (the state machine, with the sparse ``due`` index the dispatcher
  queries), media, idempotency records, breaker and pacing state, the attempt audit.
- ``editing``, ``posts``, ``scheduling``, ``media``: drafts, the content library, scheduling and cancelling,
  uploads (HTTP API of ``functions/publishing``).
- ``dispatcher``: every minute, due targets scheduled → queued and enqueued for their exact second.
- ``publisher``: the SQS worker, queued → publishing → published | failed, with retries, reconciliation,
  the shared circuit breaker (``breaker``) and per-account pacing (``pacing``).
- ``ports``: what publishing needs from the social capability and from billing (fakes implement them), and
  the ``PublishingPorts`` bundle its use cases take; ``lily.social.gateway`` implements the platform port.
- ``providers``: publishing's implementations of content's and images' ports (posts, media).
"""
