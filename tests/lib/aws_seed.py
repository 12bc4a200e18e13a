"""The account `tsarchive cleanup` (issue #9) is tested against, seeded through boto3 on moto.

    from aws_seed import seed, snapshot
    made = seed(moto.url, "ons-data-platform", "dev", "us-east-1")
    before = snapshot(moto.url, "us-east-1")
    ... run a dry run ...
    assert snapshot(moto.url, "us-east-1") == before

seed() creates, for PROJECT/ENV (p/e below):
  - function {p}-{e}-timestream-loader (python3.12, 2 published versions, alias "live",
    an SQS event source mapping from queue {p}-{e}-timestream-ingest) using layers
    {p}-{e}-pandas-pyarrow (2 versions; the function uses version 2) and
    {p}-{e}-shared-utils:1, with role {p}-{e}-timestream-loader-role;
  - that role: inline policy {p}-{e}-timestream-loader-inline, the customer-managed
    policy {p}-{e}-timestream-loader-policy (2 versions, used by nobody else), the shared
    policy {p}-{e}-shared-logging, and instance profile {p}-{e}-timestream-loader-profile;
  - role {p}-{e}-timestream-scheduled-query-role: attached {p}-{e}-timestream-sq-policy
    (1 version) and an inline policy, used by nothing else;
  - log groups /aws/lambda/{p}-{e}-timestream-loader and /aws/lambda/{p}-{e}-timestream-backfill
    (the latter without a function: matched by the /aws/lambda/{p}-{e}-timestream* rule);
  - metric alarms {p}-{e}-timestream-loader-errors (dimension FunctionName = the loader),
    ops-lambda-throttles-{e} (a name that does not match, dimension FunctionName = the loader),
    {p}-{e}-timestream-db-user-errors (namespace AWS/Timestream, dimension DatabaseName
    {p}_{e}_metrics) and {p}-{e}-timestream-table-latency (DatabaseName + TableName);
things that must stay:
  - the same loader stack for environment "prod" (names with -prod-/_prod_), never touched;
  - function {p}-{e}-api (no "timestream" in the name) using layer {p}-{e}-shared-utils:1 and
    role {p}-{e}-api-role, which has the shared policy {p}-{e}-shared-logging attached: so the
    shared layer version and the shared policy are kept (detached from the loader role only);
    its log group /aws/lambda/{p}-{e}-api and alarm {p}-{e}-api-errors;
  - role otherproject-{e}-timestream-role and log group /aws/lambda/otherproject-{e}-timestream-x
    (another project).
Timestream databases/tables are not seeded here (they live in our emulator).

The return value describes all of it: {"project", "env", "region", "account", "delete": {kind:
[...]}, "keep": {kind: [...]}} with kinds functions, event_source_mappings, aliases, versions,
layer_versions, roles, inline_policies, attachments, policies, policy_versions,
instance_profiles, log_groups, alarms; each entry has "name" (and "arn" where there is one),
and every "keep" entry a "reason". "attachments" in "delete" are detachments.

snapshot() lists every resource of those kinds in the account (not only seeded ones), sorted
and free of timestamps, so two snapshots compare equal exactly when nothing changed.
"""
import io
import json
import zipfile

import boto3

KEY = dict(aws_access_key_id="test", aws_secret_access_key="test")

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


def _doc(actions, resource="*"):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": actions, "Resource": resource}]})


def _zip(text):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("handler.py", text)
    return b.getvalue()


def clients(endpoint_url, region, credentials=None):
    """boto3 clients for the services seed() and snapshot() use; credentials: an optional
    (access key id, secret) pair instead of test/test."""
    key = KEY if credentials is None else dict(aws_access_key_id=credentials[0],
                                               aws_secret_access_key=credentials[1])
    kw = dict(endpoint_url=endpoint_url, region_name=region, **key)
    return {n: boto3.client(n, **kw) for n in ("iam", "lambda", "sqs", "logs", "cloudwatch")}


def _entry(name, arn=None, reason=None, **extra):
    e = {"name": name}
    if arn is not None:
        e["arn"] = arn
    if reason is not None:
        e["reason"] = reason
    e.update(extra)
    return e


class _Book:
    def __init__(self):
        kinds = ("functions", "event_source_mappings", "aliases", "versions", "layer_versions",
                 "roles", "inline_policies", "attachments", "policies", "policy_versions",
                 "instance_profiles", "log_groups", "alarms")
        self.delete = {k: [] for k in kinds}
        self.keep = {k: [] for k in kinds}

    def add(self, keep_reason, kind, name, arn=None, **extra):
        if keep_reason is None:
            self.delete[kind].append(_entry(name, arn, **extra))
        else:
            self.keep[kind].append(_entry(name, arn, keep_reason, **extra))


def _layer(c, name, versions, book, reason):
    arns = []
    for i in range(versions):
        r = c["lambda"].publish_layer_version(
            LayerName=name, Description="v%d" % (i + 1),
            Content={"ZipFile": _zip("# %s v%d\n" % (name, i + 1))},
            CompatibleRuntimes=["python3.12"])
        arns.append(r["LayerVersionArn"])
        book.add(reason, "layer_versions", "%s:%d" % (name, r["Version"]), r["LayerVersionArn"],
                 layer=name, version=r["Version"])
    return arns


def _policy(c, name, versions, book, reason):
    arn = c["iam"].create_policy(PolicyName=name, PolicyDocument=_doc(["timestream:Describe*"]),
                                 Description="seeded")["Policy"]["Arn"]
    for i in range(1, versions):
        c["iam"].create_policy_version(PolicyArn=arn, SetAsDefault=True,
                                       PolicyDocument=_doc(["timestream:Describe*",
                                                            "timestream:List*"][:i + 1]))
    book.add(reason, "policies", name, arn)
    for i in range(versions):
        book.add(reason, "policy_versions", "v%d" % (i + 1), None, policy_arn=arn,
                 default=(i == versions - 1))
    return arn


def _loader_stack(c, p, e, region, book, reason, shared_layer_arn, shared_policy_arn):
    """The timestream_loader stack of one environment; reason None = to be deleted."""
    fn = "%s-%s-timestream-loader" % (p, e)
    role = fn + "-role"
    iam = c["iam"]
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST,
                               Description="seeded loader role")["Role"]["Arn"]
    book.add(reason, "roles", role, role_arn)
    inline = fn + "-inline"
    iam.put_role_policy(RoleName=role, PolicyName=inline,
                        PolicyDocument=_doc(["timestream:WriteRecords"]))
    book.add(reason, "inline_policies", inline, None, role=role)
    pol = _policy(c, fn + "-policy", 2, book, reason)
    iam.attach_role_policy(RoleName=role, PolicyArn=pol)
    book.add(reason, "attachments", pol, None, role=role)
    if shared_policy_arn:
        iam.attach_role_policy(RoleName=role, PolicyArn=shared_policy_arn)
        # the attachment goes with the role; the policy itself stays (api-role uses it)
        book.add(reason, "attachments", shared_policy_arn, None, role=role)
    prof = fn + "-profile"
    prof_arn = iam.create_instance_profile(InstanceProfileName=prof)["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName=prof, RoleName=role)
    book.add(reason, "instance_profiles", prof, prof_arn, role=role)

    layer_arns = _layer(c, "%s-%s-pandas-pyarrow" % (p, e), 2, book, reason)
    layers = [layer_arns[-1]] + ([shared_layer_arn] if shared_layer_arn else [])
    lam = c["lambda"]
    f = lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role_arn,
                            Handler="handler.handler", Layers=layers,
                            Code={"ZipFile": _zip("def handler(e, c):\n    return 1\n")},
                            Description="seeded timestream loader")
    book.add(reason, "functions", fn, f["FunctionArn"], role_arn=role_arn, layers=layers)
    for i in (1, 2):
        if i == 2:
            lam.update_function_code(FunctionName=fn,
                                     ZipFile=_zip("def handler(e, c):\n    return 2\n"))
        v = lam.publish_version(FunctionName=fn, Description="release %d" % i)
        book.add(reason, "versions", v["Version"], v["FunctionArn"], function=fn)
    a = lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    book.add(reason, "aliases", "live", a["AliasArn"], function=fn)
    q = c["sqs"].create_queue(QueueName="%s-%s-timestream-ingest" % (p, e))["QueueUrl"]
    qarn = c["sqs"].get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    m = lam.create_event_source_mapping(EventSourceArn=qarn, FunctionName=fn, BatchSize=10)
    book.add(reason, "event_source_mappings", m["UUID"], m.get("EventSourceMappingArn"),
             function=fn, source=qarn)

    lg = "/aws/lambda/" + fn
    c["logs"].create_log_group(logGroupName=lg)
    book.add(reason, "log_groups", lg)

    cw = c["cloudwatch"]
    db = "%s_%s_metrics" % (p.replace("-", "_"), e)
    alarms = [
        ("%s-errors" % fn, "AWS/Lambda", "Errors", [("FunctionName", fn)]),
        ("ops-lambda-throttles-%s" % e, "AWS/Lambda", "Throttles", [("FunctionName", fn)]),
        ("%s-%s-timestream-db-user-errors" % (p, e), "AWS/Timestream", "UserErrors",
         [("DatabaseName", db), ("Operation", "WriteRecords")]),
        ("%s-%s-timestream-table-latency" % (p, e), "AWS/Timestream", "SuccessfulRequestLatency",
         [("DatabaseName", db), ("TableName", "generation_data"), ("Operation", "Query")]),
    ]
    for name, ns, metric, dims in alarms:
        cw.put_metric_alarm(AlarmName=name, Namespace=ns, MetricName=metric, Statistic="Sum",
                            Period=300, EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanOrEqualToThreshold",
                            Dimensions=[{"Name": k, "Value": v} for k, v in dims])
        book.add(reason, "alarms", name, dimensions=[[k, v] for k, v in dims])
    return fn


def seed(endpoint_url, project, env, region, credentials=None):
    """Creates the issue #9 account (see the module doc) and returns what it made.
    credentials: optional (access key id, secret) for a server that checks them."""
    if env == "prod":
        raise ValueError("seed(): env 'prod' is the other environment; use another name")
    c = clients(endpoint_url, region, credentials)
    book = _Book()
    p, e = project, env
    iam, lam = c["iam"], c["lambda"]

    # shared with what stays
    shared_layer = _layer(c, "%s-%s-shared-utils" % (p, e), 1, book,
                          "layer version also used by %s-%s-api, which stays" % (p, e))[0]
    shared_pol = _policy(c, "%s-%s-shared-logging" % (p, e), 1, book,
                         "policy also attached to %s-%s-api-role, which stays" % (p, e))
    api_role = "%s-%s-api-role" % (p, e)
    api_role_arn = iam.create_role(RoleName=api_role,
                                   AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.attach_role_policy(RoleName=api_role, PolicyArn=shared_pol)
    why_api = "name does not contain 'timestream'"
    book.add(why_api, "roles", api_role, api_role_arn)
    book.add(why_api, "attachments", shared_pol, None, role=api_role)
    api = "%s-%s-api" % (p, e)
    f = lam.create_function(FunctionName=api, Runtime="python3.12", Role=api_role_arn,
                            Handler="handler.handler", Layers=[shared_layer],
                            Code={"ZipFile": _zip("def handler(e, c):\n    return 0\n")})
    book.add(why_api, "functions", api, f["FunctionArn"], role_arn=api_role_arn,
             layers=[shared_layer])
    c["logs"].create_log_group(logGroupName="/aws/lambda/" + api)
    book.add(why_api, "log_groups", "/aws/lambda/" + api)
    c["cloudwatch"].put_metric_alarm(
        AlarmName=api + "-errors", Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
        Period=300, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Dimensions=[{"Name": "FunctionName", "Value": api}])
    book.add(why_api, "alarms", api + "-errors", dimensions=[["FunctionName", api]])

    # the environment being retired
    _loader_stack(c, p, e, region, book, None, shared_layer, shared_pol)

    # a second matching role with attached and inline policies, used by no function
    sq = "%s-%s-timestream-scheduled-query-role" % (p, e)
    sq_arn = iam.create_role(RoleName=sq, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    book.add(None, "roles", sq, sq_arn)
    sq_pol = _policy(c, "%s-%s-timestream-sq-policy" % (p, e), 1, book, None)
    iam.attach_role_policy(RoleName=sq, PolicyArn=sq_pol)
    book.add(None, "attachments", sq_pol, None, role=sq)
    iam.put_role_policy(RoleName=sq, PolicyName=sq + "-inline",
                        PolicyDocument=_doc(["sns:Publish"]))
    book.add(None, "inline_policies", sq + "-inline", None, role=sq)

    backfill = "/aws/lambda/%s-%s-timestream-backfill" % (p, e)
    c["logs"].create_log_group(logGroupName=backfill)
    book.add(None, "log_groups", backfill)

    # another environment: identical names with 'prod', never touched
    _loader_stack(c, p, "prod", region, book, "another environment (prod)", None, None)

    # another project
    other = "otherproject-%s-timestream-role" % e
    other_arn = iam.create_role(RoleName=other, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    book.add("another project", "roles", other, other_arn)
    olg = "/aws/lambda/otherproject-%s-timestream-x" % e
    c["logs"].create_log_group(logGroupName=olg)
    book.add("another project", "log_groups", olg)

    account = c["iam"].get_role(RoleName=api_role)["Role"]["Arn"].split(":")[4]
    return {"project": p, "env": e, "region": region, "account": account,
            "delete": book.delete, "keep": book.keep}


def _pages(call, key, token_in, token_out, **kw):
    out = []
    while True:
        r = call(**kw)
        out.extend(r.get(key, []))
        t = r.get(token_out)
        if not t or (token_out == "Marker" and not r.get("IsTruncated")):
            return out
        kw[token_in] = t


def snapshot(endpoint_url, region, credentials=None):
    """A full, sorted, JSON-able listing of the cleanup resource kinds in the account."""
    c = clients(endpoint_url, region, credentials)
    lam, iam = c["lambda"], c["iam"]
    functions = []
    for f in _pages(lam.list_functions, "Functions", "Marker", "NextMarker"):
        n = f["FunctionName"]
        versions = _pages(lam.list_versions_by_function, "Versions", "Marker", "NextMarker",
                          FunctionName=n)
        aliases = _pages(lam.list_aliases, "Aliases", "Marker", "NextMarker", FunctionName=n)
        maps = _pages(lam.list_event_source_mappings, "EventSourceMappings", "Marker",
                      "NextMarker", FunctionName=n)
        functions.append({
            "name": n, "arn": f["FunctionArn"], "role": f.get("Role", ""),
            "layers": sorted(l["Arn"] for l in f.get("Layers", [])),
            "versions": sorted(v["Version"] for v in versions),
            "aliases": sorted([a["Name"], a["FunctionVersion"]] for a in aliases),
            "event_source_mappings": sorted([m["UUID"], m.get("EventSourceArn", ""),
                                             m.get("State", "")] for m in maps),
        })
    layers = []
    for l in _pages(lam.list_layers, "Layers", "Marker", "NextMarker"):
        vs = _pages(lam.list_layer_versions, "LayerVersions", "Marker", "NextMarker",
                    LayerName=l["LayerName"])
        layers.append({"name": l["LayerName"],
                       "versions": sorted(v["LayerVersionArn"] for v in vs)})
    roles = []
    for r in _pages(iam.list_roles, "Roles", "Marker", "Marker"):
        n = r["RoleName"]
        roles.append({
            "name": n, "arn": r["Arn"], "path": r.get("Path", "/"),
            "inline_policies": sorted(_pages(iam.list_role_policies, "PolicyNames", "Marker",
                                             "Marker", RoleName=n)),
            "attached_policies": sorted(p["PolicyArn"] for p in _pages(
                iam.list_attached_role_policies, "AttachedPolicies", "Marker", "Marker",
                RoleName=n)),
            "instance_profiles": sorted(p["InstanceProfileName"] for p in _pages(
                iam.list_instance_profiles_for_role, "InstanceProfiles", "Marker", "Marker",
                RoleName=n)),
        })
    policies = []
    for p in _pages(iam.list_policies, "Policies", "Marker", "Marker", Scope="Local"):
        vs = _pages(iam.list_policy_versions, "Versions", "Marker", "Marker",
                    PolicyArn=p["Arn"])
        ents = iam.list_entities_for_policy(PolicyArn=p["Arn"])
        policies.append({
            "name": p["PolicyName"], "arn": p["Arn"],
            "versions": sorted([v["VersionId"], bool(v["IsDefaultVersion"])] for v in vs),
            "roles": sorted(x["RoleName"] for x in ents.get("PolicyRoles", [])),
            "users": sorted(x["UserName"] for x in ents.get("PolicyUsers", [])),
            "groups": sorted(x["GroupName"] for x in ents.get("PolicyGroups", [])),
        })
    profiles = [{"name": p["InstanceProfileName"],
                 "roles": sorted(r["RoleName"] for r in p.get("Roles", []))}
                for p in _pages(iam.list_instance_profiles, "InstanceProfiles", "Marker",
                                "Marker")]
    log_groups = sorted(g["logGroupName"] for g in _pages(
        c["logs"].describe_log_groups, "logGroups", "nextToken", "nextToken"))
    cw = c["cloudwatch"]
    metric, composite = [], []
    kw = {"AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}
    while True:
        r = cw.describe_alarms(**kw)
        metric.extend(r.get("MetricAlarms", []))
        composite.extend(r.get("CompositeAlarms", []))
        if not r.get("NextToken"):
            break
        kw["NextToken"] = r["NextToken"]
    alarms = sorted(
        [{"name": a["AlarmName"], "type": "metric", "namespace": a.get("Namespace", ""),
          "metric": a.get("MetricName", ""),
          "dimensions": sorted([d["Name"], d["Value"]] for d in a.get("Dimensions", []))}
         for a in metric] +
        [{"name": a["AlarmName"], "type": "composite", "rule": a.get("AlarmRule", "")}
         for a in composite], key=lambda a: (a["name"], a["type"]))
    return {
        "functions": sorted(functions, key=lambda f: f["name"]),
        "layers": sorted(layers, key=lambda l: l["name"]),
        "roles": sorted(roles, key=lambda r: r["name"]),
        "policies": sorted(policies, key=lambda p: p["arn"]),
        "instance_profiles": sorted(profiles, key=lambda p: p["name"]),
        "log_groups": log_groups,
        "alarms": alarms,
    }
