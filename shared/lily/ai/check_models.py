"""``make check-models``: every model name this deployment sends, against the provider's own model list.

A retired model name fails every call (xAI retired ``grok-2-image`` and ``grok-imagine-image-pro``), so a deploy
checks them first: ``GET /v1/models`` of OpenAI and xAI (the configured base URLs) lists each provider's models,
and every name in :func:`configured` must be among them. Keys: ``OPENAI_API_KEY`` / ``XAI_API_KEY``, else the
deployment's Secrets Manager secret. No key or no network: the check says so and is skipped (exit 0); a name the
provider does not list: exit 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

import openai
from botocore.exceptions import BotoCoreError, ClientError

from lily.ai.ports import CHECKED_MODELS
from lily.ai.settings import AISettings, ai_settings, provider_keys
from lily.core.config import ConfigError

ENV_KEYS = {"openai": "OPENAI_API_KEY", "xai": "XAI_API_KEY"}


def configured(settings: AISettings) -> dict[str, set[str]]:
    """Provider -> model names: the AI settings', the image models (``LILY_IMAGES_MODELS`` or the catalog's)."""
    names = {p: set(models) for p, models in settings.configured_models().items()}
    raw = os.environ.get("LILY_IMAGES_MODELS")
    images = json.loads(raw).values() if raw else [
        {"provider": fact.provider, "model": name} for name, fact in CHECKED_MODELS.items()
        if name.startswith(("gpt-image", "grok-imagine"))]
    for target in images:
        names.setdefault(target["provider"], set()).add(target["model"])
    return names


def keys_from_env_or_secret() -> dict[str, str]:
    keys = {p: os.environ.get(var, "") for p, var in ENV_KEYS.items()}
    if all(keys.values()):
        return keys
    try:
        secret = provider_keys()
    except (BotoCoreError, ClientError, ConfigError) as exc:  # no credentials, network or config: nothing to check
        print(f"check-models: no provider keys ({type(exc).__name__}); skipped")
        return keys
    return {p: keys[p] or secret.get(p, "") for p in ENV_KEYS}


def check(settings: AISettings, keys: dict[str, str], out: Callable[[str], None] = print) -> int:
    """0 when every configured name is listed (or a provider could not be asked), 1 otherwise."""
    missing: list[str] = []
    for provider, names in sorted(configured(settings).items()):
        if not keys.get(provider):
            out(f"{provider}: no API key; skipped")
            continue
        client = openai.OpenAI(api_key=keys[provider], base_url=settings.base_url(provider),  # type: ignore[arg-type]
                               timeout=10, max_retries=0)
        try:
            listed = {m.id for m in client.models.list()}
        except openai.APIConnectionError:
            out(f"{provider}: offline ({settings.base_url(provider)} unreachable); skipped")  # type: ignore[arg-type]
            continue
        except openai.APIStatusError as exc:
            out(f"{provider}: the models list answered {exc.status_code}; skipped")
            continue
        out(f"{provider}: {len(listed)} models listed: {', '.join(sorted(listed))}")
        for name in sorted(names):
            fact = CHECKED_MODELS.get(name)
            note = f" (checked {fact.checked}: {fact.source})" if fact else " (not in CHECKED_MODELS)"
            ok = name in listed
            out(f"  {'ok     ' if ok else 'MISSING'} {name}{note}")
            if not ok:
                missing.append(f"{provider}:{name}")
    if missing:
        out(f"check-models: not offered by the provider: {', '.join(missing)}")
        return 1
    return 0


def main() -> int:
    return check(ai_settings(), keys_from_env_or_secret())


if __name__ == "__main__":
    sys.exit(main())
