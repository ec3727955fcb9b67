"""``make check-models``, second part: the configured text model's output rate, measured.

The 202 rule (docs/content.md, "Large requests") estimates a generation's provider time as, per round of calls,
one second plus the round's largest output budget at ``LILY_CONTENT_OUTPUT_TOKENS_PER_S``. That rate is a setting;
this measures it on the deployment's text provider and model (``LILY_AI_TEXT_PROVIDER``): ``rounds`` pairs of
chat completions, a short answer (``max_completion_tokens`` 64) and a long one (900), each timed end to end.

Printed: the long answers' end-to-end rate (output tokens / wall time, a lower bound), the marginal rate
((long - short tokens) / (long - short time): the rule's "tokens per second" with the fixed cost taken out) and
the short answers' wall time (the rule's fixed second), all as medians, beside the configured figure. Nothing is
changed: set ``LILY_CONTENT_OUTPUT_TOKENS_PER_S`` from it (at most the marginal rate). Key: ``OPENAI_API_KEY`` /
``XAI_API_KEY``, else the deployment's secret; without one, or offline, it prints "not measured offline" (exit 0).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import openai

from lily.ai.settings import AISettings, ai_settings
from lily.content.settings import content_settings

SHORT, LONG = 64, 900
PROMPT = ("Write a detailed, plain-text guide of about 600 words for a small bakery on planning a month of social "
          "media posts: goals, themes per week, formats, timing, and how to measure results.")


def _call(client: openai.OpenAI, settings: AISettings, model: str, budget: int) -> tuple[int, float]:
    params: dict[str, Any] = {"model": model, "max_completion_tokens": budget,
                              "messages": [{"role": "user", "content": PROMPT if budget > SHORT else "Say OK."}]}
    if "temperature" in settings.accepts(model):
        params["temperature"] = 0.7
    started = time.perf_counter()
    answer = client.chat.completions.create(**params)
    wall = time.perf_counter() - started
    return (answer.usage.completion_tokens if answer.usage else 0), wall


def measure(settings: AISettings, keys: dict[str, str], configured: float, rounds: int = 3,
            out: Callable[[str], None] = print) -> dict | None:
    """The measured figures (None when not measured: no key, offline, or an error answer, each said in ``out``)."""
    provider = settings.text_provider
    model = settings.text_model(provider)
    head = f"output rate of {provider}:{model} (configured LILY_CONTENT_OUTPUT_TOKENS_PER_S {configured:g})"
    if not keys.get(provider):
        out(f"{head}: not measured offline (no {provider} API key)")
        return None
    client = openai.OpenAI(api_key=keys[provider], base_url=settings.base_url(provider), timeout=120, max_retries=1)
    short: list[tuple[int, float]] = []
    long: list[tuple[int, float]] = []
    try:
        for _ in range(rounds):
            short.append(_call(client, settings, model, SHORT))
            long.append(_call(client, settings, model, LONG))
    except openai.APIConnectionError:
        out(f"{head}: not measured offline ({settings.base_url(provider)} unreachable)")
        return None
    except openai.APIStatusError as exc:
        out(f"{head}: not measured (the provider answered {exc.status_code}: {exc.message})")
        return None
    tokens_long, wall_long = statistics.median(t for t, _ in long), statistics.median(w for _, w in long)
    tokens_short, wall_short = statistics.median(t for t, _ in short), statistics.median(w for _, w in short)
    end_to_end = tokens_long / wall_long if wall_long > 0 else None
    marginal = ((tokens_long - tokens_short) / (wall_long - wall_short)
                if wall_long > wall_short and tokens_long > tokens_short else None)
    figures = {"provider": provider, "model": model, "rounds": rounds, "long_tokens": tokens_long,
               "long_s": wall_long, "short_tokens": tokens_short, "short_s": wall_short,
               "end_to_end_tokens_per_s": round(end_to_end, 1) if end_to_end else None,
               "marginal_tokens_per_s": round(marginal, 1) if marginal else None, "configured": configured}
    out(f"{head}: measured over {rounds} rounds (medians): long answer {tokens_long:g} tokens in {wall_long:.2f} s "
        f"= {figures['end_to_end_tokens_per_s']} tokens/s end to end; short answer {tokens_short:g} tokens in "
        f"{wall_short:.2f} s (the fixed cost); marginal rate "
        f"{figures['marginal_tokens_per_s'] if marginal else 'n/a (long answers were not slower)'} tokens/s")
    return figures


def main() -> int:
    from lily.ai.check_models import keys_from_env_or_secret

    measure(ai_settings(), keys_from_env_or_secret(), content_settings().output_tokens_per_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
