"""A free trial is granted once per account (the organizations' owner), not once per organization."""

from tests.support.identity import create_org, register_user


def test_one_free_trial_per_account_not_per_organization(http, stripe_sandbox):
    owner = register_user(http)
    h = owner["headers"]
    first, second = create_org(http, h), create_org(http, h)
    checkout = http.post(f"/api/orgs/{first}/billing/checkout", json={"plan_id": "pro"}, headers=h)
    assert checkout.status_code == 201 and checkout.json()["trial_days"] == 14
    # Retrying the checkout of the same organization keeps its trial
    again = http.post(f"/api/orgs/{first}/billing/checkout", json={"plan_id": "pro"}, headers=h)
    assert again.json()["trial_days"] == 14
    # The owner's second organization pays from the first day
    other = http.post(f"/api/orgs/{second}/billing/checkout", json={"plan_id": "starter"}, headers=h)
    assert other.status_code == 201 and other.json()["trial_days"] == 0
    # Another account's organization has its own trial
    someone = register_user(http)
    theirs = create_org(http, someone["headers"])
    assert http.post(f"/api/orgs/{theirs}/billing/checkout", json={"plan_id": "pro"},
                     headers=someone["headers"]).json()["trial_days"] == 14
