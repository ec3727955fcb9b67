"""Schemathesis hooks for the contract suite (loaded with ``SCHEMATHESIS_HOOKS=tests.contract.fuzz_checks``)."""

from __future__ import annotations

import schemathesis

# Error types of pydantic raised by Lily's own validators (cross-field rules, time zones, duplicates).
RULES_A_SCHEMA_CANNOT_STATE = {"value_error", "assertion_error"}


@schemathesis.check
def schema_valid_input_passes_validation(ctx, response, case):
    """A schema-valid request must pass every constraint of the server's request model that a schema can state.

    Lily answers 422 when the request breaks the API's schema (``details.errors`` lists pydantic's constraint
    errors: ``missing``, ``string_too_short``, ``enum``…) or a rule the schema cannot state: a model validator's
    ``value_error`` ("give exactly one of text or post_id", an unknown time zone) or a service's own error (an
    expired token, a post too long for a platform), which has no field errors. ``positive_data_acceptance``
    accepts those (see test_fuzz.py); this check keeps the first kind a failure: the document would lie.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        errors = response.json()["error"]["details"].get("errors")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    schema_errors = [e for e in errors or () if e.get("type") not in RULES_A_SCHEMA_CANNOT_STATE]
    if schema_errors:
        raise AssertionError(f"Schema-valid input refused by the request model: {schema_errors}")
    return None
