"""Schemathesis hooks for the contract suite (loaded with ``SCHEMATHESIS_HOOKS=tests.contract.fuzz_checks``)."""

from __future__ import annotations

import schemathesis


@schemathesis.check
def schema_valid_input_passes_validation(ctx, response, case):
    """A schema-valid request must pass the server's own request model.

    Lily answers 422 for two reasons: the request breaks the API's schema (``details.errors`` lists the
    fields), or it breaks a rule the schema cannot state (an expired token, a post too long for a platform).
    ``positive_data_acceptance`` accepts the second kind (see test_fuzz.py); this check keeps the first kind a
    failure: a schema-valid request refused by the request model means the document lies.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        errors = response.json()["error"]["details"].get("errors")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if errors:
        raise AssertionError(f"Schema-valid input refused by the request model: {errors}")
    return None
