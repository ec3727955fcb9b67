"""Least privilege: one role per function, no data-plane action on Resource "*", no managed policies."""

from __future__ import annotations

import fnmatch

from tests.infra.cfn import (
    as_list,
    functions_by_name,
    nag_acknowledgments,
    props,
    ref_id,
    resolve_import,
    resources,
    role_policies,
)
from tests.infra.cfn import statements as all_statements

# Actions that read or change data. None may be allowed on every resource.
DATA_PLANE = [
    "dynamodb:*",
    "s3:*Object*",
    "sqs:SendMessage*", "sqs:ReceiveMessage", "sqs:DeleteMessage*",
    "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*",
    "secretsmanager:GetSecretValue",
    "ses:Send*",
]
# Concrete members of the families above, to catch action wildcards ("s3:Get*", "kms:*") covering them.
DATA_PLANE_EXAMPLES = [
    "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:UpdateItem",
    "dynamodb:DeleteItem", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
    "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject",
    "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage",
    "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom",
    "secretsmanager:GetSecretValue", "ses:SendEmail", "ses:SendRawEmail",
]


def _data_plane(action: str) -> bool:
    action = action.lower()  # IAM matches actions case-insensitively
    return (any(fnmatch.fnmatchcase(action, p.lower()) for p in DATA_PLANE)
            or any(fnmatch.fnmatchcase(e.lower(), action) for e in DATA_PLANE_EXAMPLES))


def _function_roles(synth, specs) -> dict[str, str]:
    by_name = functions_by_name(synth.functions)
    roles = {}
    for spec in specs:
        _, fn = by_name[synth.config.function_name(spec.name)]
        roles[spec.name] = ref_id(props(fn)["Role"])
    return roles


def test_every_function_has_its_own_role(synth, specs):
    roles = _function_roles(synth, specs)
    assert len(roles) == len(specs)
    assert all(roles.values())
    assert len(set(roles.values())) == len(roles), f"functions share roles: {roles}"
    template_roles = resources(synth.functions, "AWS::IAM::Role")
    for name, role_id in roles.items():
        assert role_id in template_roles, name


def test_roles_trust_only_lambda_and_use_no_managed_policies(synth):
    roles = {f"{stack}/{k}": r for stack, t in synth.templates.items()
             for k, r in resources(t, "AWS::IAM::Role").items()}
    assert roles
    for logical_id, role in roles.items():
        p = props(role)
        assert not p.get("ManagedPolicyArns"), f"{logical_id} uses managed policies {p.get('ManagedPolicyArns')}"
        principals = [s["Principal"] for s in p["AssumeRolePolicyDocument"]["Statement"]]
        assert principals == [{"Service": "lambda.amazonaws.com"}], logical_id


def test_every_function_writes_only_to_its_own_log_group(synth, specs):
    roles = _function_roles(synth, specs)
    by_name = functions_by_name(synth.functions)
    for spec in specs:
        _, fn = by_name[synth.config.function_name(spec.name)]
        log_group = ref_id(props(fn)["LoggingConfig"]["LogGroup"])
        log_statements = [s for p in role_policies(synth.functions, roles[spec.name]).values()
                          for s in as_list(props(p)["PolicyDocument"]["Statement"])
                          if any(a.startswith("logs:") for a in as_list(s["Action"]))]
        assert log_statements, spec.name
        for s in log_statements:
            assert [ref_id(r) for r in as_list(s["Resource"])] == [log_group], spec.name


def test_no_data_plane_action_on_every_resource_without_an_acknowledged_reason(synth):
    offending = []
    for template in synth.templates.values():
        for logical_id, res, statement in all_statements(template):
            if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource", [])):
                continue
            data = [a for a in as_list(statement["Action"]) if _data_plane(a)]
            acknowledged = nag_acknowledgments(res).get("AwsSolutions-IAM5[Resource::*]", "")
            if data and not acknowledged:
                offending.append(f"{logical_id}: {data}")
    assert offending == []


def test_wildcard_resources_are_only_tracing_and_never_data(synth):
    # Stricter than the rule above: in this app, Resource "*" only ever carries X-Ray actions.
    for template in synth.templates.values():
        for logical_id, _res, statement in all_statements(template):
            if statement.get("Effect") == "Allow" and "*" in as_list(statement.get("Resource", [])):
                assert set(as_list(statement["Action"])) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, \
                    logical_id


def test_the_data_plane_classifier():
    assert _data_plane("dynamodb:GetItem") and _data_plane("s3:GetObject") and _data_plane("s3:Get*")
    assert _data_plane("kms:GenerateDataKey") and _data_plane("secretsmanager:GetSecretValue")
    assert _data_plane("sqs:SendMessage") and _data_plane("*")
    assert _data_plane("kms:*") and _data_plane("DynamoDB:getitem")
    assert not _data_plane("xray:PutTraceSegments") and not _data_plane("logs:PutLogEvents")
    assert not _data_plane("s3:ListBucket") and not _data_plane("kms:DescribeKey")


def _identity(synth, value) -> str:
    """A policy resource as a readable name: table:x, table:x/index/i, queue:x, bucket:x/*, key:data, ..."""
    prefix = synth.config.prefix
    if value == "*":
        return "*"
    if isinstance(value, dict) and "Fn::Join" in value:
        parts = value["Fn::Join"][1]
        head = _identity(synth, parts[0]) if isinstance(parts[0], dict) and "Fn::ImportValue" in parts[0] else None
        if head:  # <imported ARN>/index/<name>
            return head + "".join(p for p in parts[1:] if isinstance(p, str))
        text = "".join(p if isinstance(p, str) else "<>" for p in parts)
        if ":s3:::" in text:
            bucket = text.split(":s3:::", 1)[1]
            short = bucket[len(prefix):].split("-<>", 1)[0].split("/", 1)[0]
            return f"bucket:{short}" + ("/*" if bucket.endswith("/*") else "")
        if ":ses:" in text:
            return "ses:" + text.rsplit("identity/", 1)[1]
        return text
    imported = resolve_import(synth.templates, value)
    if imported:
        stack, logical_id = imported
        res = synth.templates[stack]["Resources"][logical_id]
        p = props(res)
        kinds = {"AWS::DynamoDB::Table": ("table", "TableName"), "AWS::SQS::Queue": ("queue", "QueueName"),
                 "AWS::SecretsManager::Secret": ("secret", "Name")}
        if res["Type"] in kinds:
            kind, attr = kinds[res["Type"]]
            return f"{kind}:{p[attr][len(prefix):]}"
        if res["Type"] == "AWS::KMS::Key":
            return "key:storage" if "at-rest" in p["Description"] else "key:data"
        if res["Type"] == "AWS::OpenSearchServerless::Collection":
            return "collection:" + p["Name"][len(prefix):]
    target = ref_id(value)
    if target and synth.functions["Resources"].get(target, {}).get("Type") == "AWS::Logs::LogGroup":
        return "own-log-group"
    if target and synth.functions["Resources"].get(target, {}).get("Type") == "AWS::SQS::Queue":
        return "queue:" + props(synth.functions["Resources"][target])["QueueName"][len(prefix):]
    return str(value)


def _granted(synth, role_id) -> set[tuple[str, str]]:
    pairs = set()
    for policy in role_policies(synth.functions, role_id).values():
        for st in as_list(props(policy)["PolicyDocument"]["Statement"]):
            assert st["Effect"] == "Allow"
            for action in as_list(st["Action"]):
                for resource in as_list(st["Resource"]):
                    pairs.add((action, _identity(synth, resource)))
    return pairs


def _expected(spec, table_indexes: dict[str, list[str]], consumed: str | None) -> set[tuple[str, str]]:
    from lily_infra import access as a

    want = {(x, "own-log-group") for x in ("logs:CreateLogStream", "logs:PutLogEvents")}
    want |= {(x, "*") for x in ("xray:PutTraceSegments", "xray:PutTelemetryRecords")}
    storage: set[str] = set()
    for short, mode in spec.access.table_modes.items():
        if mode in ("read", "readwrite"):
            for r in [f"table:{short}", *(f"table:{short}/index/{i}" for i in table_indexes[short])]:
                want |= {(x, r) for x in a.TABLE_READ}
            storage |= set(a.STORAGE_KEY[("dynamodb", "read")])
        if mode in ("write", "readwrite"):
            want |= {(x, f"table:{short}") for x in a.TABLE_WRITE}
            storage |= set(a.STORAGE_KEY[("dynamodb", "write")])
    for short in spec.access.queues_send:
        want |= {(x, f"queue:{short}") for x in a.QUEUE_SEND}
        storage |= set(a.STORAGE_KEY[("sqs", "write")])
    for short in set(spec.access.queues_probe) - set(spec.access.queues_send):
        want |= {(x, f"queue:{short}") for x in a.QUEUE_PROBE}
    for short in set(spec.access.dlqs_probe) - set(spec.access.dlqs_drain):
        want |= {(x, f"queue:{short}-dlq") for x in a.QUEUE_PROBE}
    for short in spec.access.dlqs_drain:
        want |= {(x, f"queue:{short}-dlq") for x in a.DLQ_DRAIN}
        storage |= set(a.STORAGE_KEY[("sqs", "write")])
    for short, mode in spec.access.buckets.items():
        if mode in ("read", "readwrite"):
            want |= {(x, f"bucket:{short}/*") for x in a.OBJECT_READ} | {("s3:ListBucket", f"bucket:{short}")}
            storage |= set(a.STORAGE_KEY[("s3", "read")])
        if mode in ("write", "readwrite"):
            want |= {(x, f"bucket:{short}/*") for x in a.OBJECT_WRITE}
            storage |= set(a.STORAGE_KEY[("s3", "write")])
    for short in spec.access.secrets:
        want |= {(x, f"secret:{short}") for x in a.SECRET_READ}
        storage |= set(a.STORAGE_KEY[("secretsmanager", "read")])
    for short in spec.access.secrets_write:
        want |= {(x, f"secret:{short}") for x in a.SECRET_WRITE}
        storage |= set(a.STORAGE_KEY[("secretsmanager", "write")])
    want |= {(x, "key:storage") for x in storage}
    want |= {(x, "key:data") for x in a.DATA_KEY[spec.access.kms]}
    if spec.access.kms_describe:
        want |= {(x, "key:data") for x in a.KEY_DESCRIBE}
    if spec.access.ses_send:
        want |= {(x, "ses:*") for x in a.SES_SEND}
    if spec.access.vectors:  # index operations are authorised by the collection's data access policy
        want.add(("aoss:APIAccessAll", "collection:vectors"))
    if spec.trigger.kind == "schedule":  # its failed asynchronous runs go to its own dead-letter queue
        want.add(("sqs:SendMessage", f"queue:{spec.name}-failed-runs"))
        want |= {(x, "key:storage") for x in a.STORAGE_KEY[("sqs", "write")]}
    if consumed:  # the SQS event source's own grant
        want |= {(x, f"queue:{consumed}") for x in ("sqs:ReceiveMessage", "sqs:ChangeMessageVisibility",
                                                     "sqs:GetQueueUrl", "sqs:DeleteMessage", "sqs:GetQueueAttributes")}
        want.add(("kms:Decrypt", "key:storage"))
    return want


def test_each_role_grants_exactly_the_declared_access(synth, specs):
    roles = _function_roles(synth, specs)
    indexes = synth.lily.stateful.table_indexes
    mismatches = {}
    for spec in specs:
        consumed = getattr(spec.trigger, "queue", None)
        got, want = _granted(synth, roles[spec.name]), _expected(spec, indexes, consumed)
        if got != want:
            mismatches[spec.name] = {"extra": sorted(got - want), "missing": sorted(want - got)}
    assert mismatches == {}


def test_the_data_key_is_used_only_with_an_encryption_context(synth):
    for _logical_id, _res, st in all_statements(synth.functions):
        if any(_identity(synth, r) == "key:data" for r in as_list(st.get("Resource", []))):
            if as_list(st["Action"]) == ["kms:DescribeKey"]:
                continue  # key metadata only, for the deep health check
            assert st["Condition"] == {"Null": {"kms:EncryptionContextKeys": "false"}}


def test_the_storage_key_is_used_only_through_its_services(synth):
    for _logical_id, _res, st in all_statements(synth.functions):
        resources_ = [_identity(synth, r) for r in as_list(st.get("Resource", []))]
        if "key:storage" in resources_ and "kms:ViaService" not in str(st.get("Condition")):
            # only the SQS event source's decrypt (CDK's grant for the Lambda poller) has no condition
            assert as_list(st["Action"]) == ["kms:Decrypt"], st
