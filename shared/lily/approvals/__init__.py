"""Approvals: the org's approval policy and one queue of requests (posts and AI drafts) with their decisions."""
