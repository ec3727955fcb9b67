"""Content generation: brand voice, templates, hashtags and CTAs, and the generate / repurpose / rewrite
pipeline over the AI port (:mod:`lily.ai`), producing drafts valid for each platform (the constraint
validator of :mod:`lily.social.constraints`) with a brand-consistency score. See docs/content.md.
"""
