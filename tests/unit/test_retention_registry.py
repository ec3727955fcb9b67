"""The data registry (``lily.core.retention``): every table a function names declares, next to its model, its
retention, how its records are found for an organization and a person, how they are exported and erased. A new
table without its rule fails here; so does a rule that names an attribute, an index or a TTL the model lacks."""

from __future__ import annotations

import pytest

from lily.core.db import LilyModel, TableMeta, ttl_attribute_name
from lily.core.functions import declared_models, queues
from lily.core.retention import Anonymise, DataRule, Erase, Export, Index, Partition, Scan, describe, rule_of

MODELS = declared_models()


def test_every_declared_table_has_a_data_rule():
    missing = [f"{m.Meta.short_name} ({m.__module__}.{m.__name__})" for m in MODELS if rule_of(m) is None]
    assert missing == [], ("declare `data = DataRule(...)` in the Meta of each model (lily.core.retention; "
                           f"docs/privacy.md): {missing}")


def test_a_model_without_a_rule_is_caught():
    from pynamodb.attributes import UnicodeAttribute

    class Undeclared(LilyModel):
        class Meta(TableMeta):
            short_name = "test_undeclared_retention"

        key = UnicodeAttribute(hash_key=True)

    assert rule_of(Undeclared) is None
    with pytest.raises(ValueError, match="declares no DataRule"):
        describe(Undeclared)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.Meta.short_name)
def test_each_rule_names_what_its_model_has(model):
    rule = rule_of(model)
    assert rule is not None
    attributes = model.get_attributes()
    indexes = set((model._indexes or {}).keys())
    for locate in (rule.org, rule.user, *rule.user_also):
        if isinstance(locate, Partition):
            assert model._hash_keyname, model
        elif isinstance(locate, Index):
            assert locate.index in indexes, (model.Meta.short_name, locate.index)
        elif isinstance(locate, Scan):
            assert locate.attribute in attributes, (model.Meta.short_name, locate.attribute)
    if isinstance(rule.export, Export):
        assert set(rule.export.omit) <= set(attributes), model.Meta.short_name
        assert set(rule.export.distinct) <= set(attributes), model.Meta.short_name
    if isinstance(rule.on_user_erased, Anonymise):
        assert set(rule.on_user_erased.attributes) <= set(attributes), model.Meta.short_name
        linked = {x for _, xs in rule.on_user_erased.linked for x in xs}
        assert linked <= set(attributes) and {a for a, _ in rule.on_user_erased.linked} <= \
            set(rule.on_user_erased.attributes), model.Meta.short_name
        key_attrs = {model._hash_keyname, model._range_keyname}
        assert not set(rule.on_user_erased.attributes) & key_attrs, "a key attribute cannot be anonymised"
    if rule.erase == Erase.EXPIRES:
        assert ttl_attribute_name(model), f"{model.Meta.short_name} expires, but has no TTL attribute"
    if rule.erase == Erase.KEEP:
        assert not rule.personal_data and rule.org is None and rule.user is None, model.Meta.short_name
    if rule.erase == Erase.DELETE and rule.personal_data:
        assert rule.org is not None or rule.user is not None, f"{model.Meta.short_name}: deleted, found how?"


def test_secrets_never_go_into_an_archive():
    sealed = {"password_hash", "secret_hash", "totp_secret", "totp_pending", "backup_codes", "access_envelope",
              "refresh_envelope", "verifier_envelope", "candidates_envelope", "token_hash"}
    for model in MODELS:
        rule = rule_of(model)
        present = sealed & set(model.get_attributes())
        if present and isinstance(rule.export, Export):
            assert present <= set(rule.export.omit), (model.Meta.short_name, present - set(rule.export.omit))


def test_a_rule_that_finds_a_persons_records_says_what_their_erasure_does():
    with pytest.raises(ValueError, match="erasing the person"):
        DataRule(retention="x", export=Export(), erase=Erase.DELETE, user=Scan("created_by"))


def test_the_registry_entries_read_as_data():
    entries = {describe(m)["table"]: describe(m) for m in MODELS}
    assert entries["posts"]["organization_records"] == "partition key {id}"
    assert entries["posts"]["on_user_erasure"] == "anonymise created_by"
    assert entries["users"]["export"].startswith("included without password_hash")
    assert entries["api_keys"]["ttl_attribute"] == "purge_at"
    assert entries["breakers"]["personal_data"] is False


def test_the_dlq_gauge_watches_every_declared_queue():
    from lily.health.backlog import WATCHED_QUEUES

    assert sorted(WATCHED_QUEUES) == sorted(q for q, _ in queues())


def test_the_export_and_erasure_reach_every_declared_table():
    from lily import composition

    missing = {m.Meta.short_name for m in MODELS} - {m.Meta.short_name for m in composition.data_models()}
    assert not missing, f"add these to lily.composition.data_models(): {sorted(missing)}"
