"""The AI port: text generation (plain or JSON-schema structured), moderation and embeddings.

Used by content now and by images, research and autopilot next. :mod:`lily.ai.ports` is what callers see;
:mod:`lily.ai.openai_client` is its one adapter (the ``openai`` client; OpenAI and xAI through their own
``base_url``), pointed at the OpenAI-compatible sandbox in local mode.
"""
