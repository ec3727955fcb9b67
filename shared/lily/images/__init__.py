"""AI images: the prompt contract, per-model rendering, the plan-aware router with the content policy, the
asynchronous quality loop (generate, moderate, score, retry, fall back), alt text, org image settings and the
style vault. See ``docs/images.md``.
"""
