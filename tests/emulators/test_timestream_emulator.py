"""Fidelity tests of the Timestream emulator, driven by boto3 exactly as a real client would."""
import gzip
import http.client
import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError  # noqa: E402

from emuharness import Emulator, run_contract_checker  # noqa: E402

NS = 1_000_000_000
T0 = 1704067200 * NS          # 2024-01-01T00:00:00Z: old data, needs magnetic-store writes
# total_max_attempts counts the first try; plain max_attempts would still allow one retry
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=10)


_SESSION = boto3.session.Session()   # one session: service models are loaded once, clients are cheap


def clients(url, secret="test", key="test", token=None, config=None):
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret,
              aws_session_token=token, config=config or Config(connect_timeout=5, read_timeout=30,
                                                                retries={"max_attempts": 2}))
    return _SESSION.client("timestream-write", **kw), _SESSION.client("timestream-query", **kw)


def code(exc):
    return exc.response["Error"]["Code"]


def scalars(resp):
    return [[d.get("ScalarValue") if "ScalarValue" in d else None for d in r["Data"]] for r in resp["Rows"]]


def query_all(q, qs, **kw):
    """Run a query to the end; returns (column info, rows, pages)."""
    rows, pages, tok, cols = [], 0, None, None
    while True:
        args = dict(QueryString=qs, **kw)
        if tok:
            args["NextToken"] = tok
        r = q.query(**args)
        pages += 1
        cols = r["ColumnInfo"]
        rows.extend(scalars(r))
        tok = r.get("NextToken")
        if not tok:
            return cols, rows, pages
        if pages > 10000:
            raise AssertionError("paging does not end")


def sv(values):
    return [{"Name": n, "Value": v, "Type": t} for n, v, t in values]


class TimestreamEmulatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator("timestream")
        cls.w, cls.q = clients(cls.emu.url)
        # A fixed data set for the query tests: 2024-01-01, 3 hosts × 40 readings + a multi-measure
        # series + rows with a NULL dimension and sub-microsecond times.
        cls.w.create_database(DatabaseName="qdb")
        cls.w.create_table(DatabaseName="qdb", TableName="metrics",
                           MagneticStoreWriteProperties={"EnableMagneticStoreWrites": True})
        recs = []
        for i in range(40):
            for h, host in enumerate(("h1", "h2", "h3")):
                recs.append({"Dimensions": [{"Name": "host", "Value": host}, {"Name": "region", "Value": "eu"}],
                             "MeasureName": "cpu", "MeasureValue": str(i + h / 10), "MeasureValueType": "DOUBLE",
                             "Time": str(T0 + i * 60 * NS + h * 1001), "TimeUnit": "NANOSECONDS"})
        for k in range(0, len(recs), 100):
            cls.w.write_records(DatabaseName="qdb", TableName="metrics", Records=recs[k:k + 100])
        cls.w.write_records(
            DatabaseName="qdb", TableName="metrics",
            CommonAttributes={"Dimensions": [{"Name": "host", "Value": "h9"}], "MeasureName": "env",
                              "MeasureValueType": "MULTI", "TimeUnit": "MICROSECONDS"},
            Records=[{"Time": str((T0 + i * 3600 * NS) // 1000 + 1),
                      "MeasureValues": sv([("temp", str(20 + i * 0.5), "DOUBLE"), ("count", str(i), "BIGINT"),
                                           ("ok", "true" if i % 2 else "false", "BOOLEAN"),
                                           ("note", f"n{i}", "VARCHAR")])} for i in range(5)])

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    # ------------------------------------------------------------------ contract
    def test_contract_checker(self):
        res = run_contract_checker("timestream")
        if res is None:
            self.skipTest("../shared/tools/check-emulator-contract not found beside the repository")
        self.assertEqual(res[0], 0, res[1])
        self.assertIn("contract holds", res[1])

    def test_describe_endpoints_answers_own_address(self):
        ep = self.q.describe_endpoints()["Endpoints"]
        self.assertEqual(ep, [{"Address": f"127.0.0.1:{self.emu.port}", "CachePeriodInMinutes": 1440}])
        self.assertEqual(self.w.describe_endpoints()["Endpoints"][0]["Address"], f"127.0.0.1:{self.emu.port}")

    # ------------------------------------------------------------------ auth
    def test_bad_signature_rejected(self):
        w, q = clients(self.emu.url, secret="wrong", config=NO_RETRY)
        with self.assertRaises(ClientError) as cm:
            w.list_databases()
        self.assertEqual(code(cm.exception), "InvalidSignatureException")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        with self.assertRaises(ClientError) as cm:
            q.query(QueryString="SHOW DATABASES")
        self.assertEqual(code(cm.exception), "InvalidSignatureException")

    def test_unknown_access_key_rejected(self):
        w, _ = clients(self.emu.url, key="AKIAOTHER", config=NO_RETRY)
        with self.assertRaises(ClientError) as cm:
            w.list_databases()
        self.assertEqual(code(cm.exception), "UnrecognizedClientException")

    def test_session_token_accepted(self):
        w, _ = clients(self.emu.url, token="session-token-value")
        self.assertIn("Databases", w.list_databases())

    def test_unsigned_and_malformed_requests(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=10)
        conn.request("POST", "/", body=b"{}", headers={"X-Amz-Target": "Timestream_20181101.ListDatabases",
                                                       "Content-Type": "application/x-amz-json-1.0"})
        r = conn.getresponse()
        body = json.loads(r.read())
        self.assertEqual(r.status, 403)
        self.assertEqual(body["__type"], "MissingAuthenticationTokenException")
        conn.close()

    def test_malformed_json_is_a_400(self):
        # correctly signed requests whose body is not a JSON object
        for body in (b"{not json", b"[1,2]", b"\xff\xfe"):
            status, out = self.signed("Query", body)
            self.assertEqual(status, 400, out)
            self.assertEqual(out["__type"], "SerializationException", out)

    def test_wrong_json_types_are_400(self):
        # what a hand-written client could send: members of the wrong JSON type
        for op, body in (("WriteRecords", {"DatabaseName": "qdb", "TableName": "metrics",
                                           "Records": [{"MeasureName": "m", "MeasureValue": "1", "Time": 5}]}),
                         ("WriteRecords", {"DatabaseName": "qdb", "TableName": "metrics", "Records": [None]}),
                         ("Query", {"QueryString": ["SELECT 1"]}),
                         ("ListTables", {"DatabaseName": {"x": 1}}),
                         ("CreateTable", {"DatabaseName": "qdb", "TableName": "x",
                                          "RetentionProperties": {"MemoryStoreRetentionPeriodInHours": "6"}})):
            with self.subTest(op=op, body=body):
                status, out = self.signed(op, json.dumps(body).encode())
                self.assertEqual(status, 400, out)
                self.assertIn("SerializationException", out["__type"])

    def signed(self, op, body):
        """POST a body signed with botocore's signer; returns (status, decoded JSON)."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        req = AWSRequest(method="POST", url=self.emu.url + "/", data=body,
                         headers={"X-Amz-Target": f"Timestream_20181101.{op}",
                                  "Content-Type": "application/x-amz-json-1.0"})
        SigV4Auth(Credentials("test", "test"), "timestream", "us-east-1").add_auth(req)
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.port, timeout=10)
        try:
            conn.request("POST", "/", body=body, headers=dict(req.headers.items()))
            r = conn.getresponse()
            return r.status, json.loads(r.read())
        finally:
            conn.close()

    # ------------------------------------------------------------------ databases and tables
    def test_database_lifecycle_and_paging(self):
        w = self.w
        names = [f"life_{i:02d}" for i in range(23)]
        for n in names:
            w.create_database(DatabaseName=n)
        with self.assertRaises(ClientError) as cm:
            w.create_database(DatabaseName="life_00")
        self.assertEqual(code(cm.exception), "ConflictException")
        d = w.describe_database(DatabaseName="life_05")["Database"]
        self.assertEqual(d["DatabaseName"], "life_05")
        self.assertEqual(d["TableCount"], 0)
        self.assertTrue(d["Arn"].endswith(":database/life_05"))
        seen, tok, pages = [], None, 0
        while True:
            r = w.list_databases(MaxResults=20, **({"NextToken": tok} if tok else {}))
            self.assertLessEqual(len(r["Databases"]), 20)
            seen += [x["DatabaseName"] for x in r["Databases"]]
            pages += 1
            tok = r.get("NextToken")
            if not tok:
                break
        self.assertEqual([n for n in seen if n.startswith("life_")], names)
        self.assertGreaterEqual(pages, 2)
        # boto3's own validation stops MaxResults > 20; the paginator must agree with our tokens
        small, tok = [], None
        while True:
            r = w.list_databases(MaxResults=7, **({"NextToken": tok} if tok else {}))
            small += [x["DatabaseName"] for x in r["Databases"] if x["DatabaseName"].startswith("life_")]
            tok = r.get("NextToken")
            if not tok:
                break
        self.assertEqual(small, names)
        with self.assertRaises(Exception):     # botocore itself refuses MaxResults > 20
            w.list_databases(MaxResults=21)
        w.create_table(DatabaseName="life_01", TableName="t1")
        with self.assertRaises(ClientError) as cm:
            w.delete_database(DatabaseName="life_01")
        self.assertEqual(code(cm.exception), "ValidationException")
        self.assertIn("t1", cm.exception.response["Error"]["Message"])
        w.delete_table(DatabaseName="life_01", TableName="t1")
        with self.assertRaises(ClientError) as cm:
            w.delete_table(DatabaseName="life_01", TableName="t1")
        self.assertEqual(code(cm.exception), "ResourceNotFoundException")
        for n in names:
            w.delete_database(DatabaseName=n)
        with self.assertRaises(ClientError) as cm:
            w.describe_database(DatabaseName="life_00")
        self.assertEqual(code(cm.exception), "ResourceNotFoundException")

    def test_scheduled_queries_lifecycle_and_paging(self):
        w, q = self.w, self.q
        w.create_database(DatabaseName="sq_db")
        w.create_table(DatabaseName="sq_db", TableName="src")
        w.create_table(DatabaseName="sq_db", TableName="agg")

        def spec(i, **over):
            d = dict(Name="sq-%02d" % i,
                     QueryString='SELECT bin(time, 1h) AS hour, count(*) AS c FROM "sq_db"."src" '
                                 'WHERE time BETWEEN @scheduled_runtime - 1h AND @scheduled_runtime '
                                 'GROUP BY bin(time, 1h)',
                     ScheduleConfiguration={"ScheduleExpression": "rate(1 hour)"},
                     NotificationConfiguration={"SnsConfiguration": {
                         "TopicArn": "arn:aws:sns:us-east-1:123456789012:sq"}},
                     TargetConfiguration={"TimestreamConfiguration": {
                         "DatabaseName": "sq_db", "TableName": "agg", "TimeColumn": "hour",
                         "DimensionMappings": [],
                         "MultiMeasureMappings": {"TargetMultiMeasureName": "m",
                                                  "MultiMeasureAttributeMappings": [
                                                      {"SourceColumn": "c", "MeasureValueType": "BIGINT"}]}}},
                     ScheduledQueryExecutionRoleArn="arn:aws:iam::123456789012:role/sq",
                     ErrorReportConfiguration={"S3Configuration": {"BucketName": "sq-errors"}})
            d.update(over)
            return d

        arns = [q.create_scheduled_query(**spec(i))["Arn"] for i in range(5)]
        for a in arns:
            self.assertRegex(a, r"^arn:aws:timestream:us-east-1:\d+:scheduled-query/sq-\d\d-[0-9a-f]{16}$")
        # a retry with the same ClientToken is the same query; a second name is a conflict
        tok = "c" * 40
        a1 = q.create_scheduled_query(**spec(7, ClientToken=tok))["Arn"]
        self.assertEqual(q.create_scheduled_query(**spec(7, ClientToken=tok))["Arn"], a1)
        with self.assertRaises(ClientError) as cm:
            q.create_scheduled_query(**spec(0))
        self.assertEqual(code(cm.exception), "ConflictException")
        # required members, checked as the service does (botocore's own check switched off)
        _w, lax = clients(self.emu.url, config=Config(parameter_validation=False,
                                                      retries={"total_max_attempts": 1}))
        bad = spec(9)
        del bad["ErrorReportConfiguration"]
        with self.assertRaises(ClientError) as cm:
            lax.create_scheduled_query(**bad)
        self.assertEqual(code(cm.exception), "ValidationException")
        self.assertIn("errorReportConfiguration", cm.exception.response["Error"]["Message"])

        # paging: botocore's paginator and by hand agree
        pag = [x["Arn"] for p in q.get_paginator("list_scheduled_queries").paginate(
            PaginationConfig={"PageSize": 2}) for x in p["ScheduledQueries"]]
        self.assertEqual(sorted(pag), sorted(arns + [a1]))
        self.assertEqual(len(pag), len(set(pag)))
        first = q.list_scheduled_queries(MaxResults=2)
        self.assertEqual(len(first["ScheduledQueries"]), 2)
        self.assertIn("NextToken", first)
        entry = first["ScheduledQueries"][0]
        self.assertEqual(entry["State"], "ENABLED")
        self.assertEqual(entry["TargetDestination"]["TimestreamDestination"],
                         {"DatabaseName": "sq_db", "TableName": "agg"})
        self.assertEqual(entry["ErrorReportConfiguration"]["S3Configuration"]["BucketName"], "sq-errors")
        with self.assertRaises(ClientError) as cm:
            q.list_scheduled_queries(NextToken="garbage!")
        self.assertEqual(code(cm.exception), "ValidationException")

        d = q.describe_scheduled_query(ScheduledQueryArn=arns[1])["ScheduledQuery"]
        self.assertEqual(d["Name"], "sq-01")
        self.assertIn('"sq_db"."src"', d["QueryString"])
        self.assertEqual(d["ScheduleConfiguration"]["ScheduleExpression"], "rate(1 hour)")
        self.assertEqual(d["TargetConfiguration"]["TimestreamConfiguration"]["TableName"], "agg")
        self.assertEqual(d["ScheduledQueryExecutionRoleArn"], "arn:aws:iam::123456789012:role/sq")
        q.update_scheduled_query(ScheduledQueryArn=arns[1], State="DISABLED")
        self.assertEqual(q.describe_scheduled_query(ScheduledQueryArn=arns[1])["ScheduledQuery"]["State"],
                         "DISABLED")

        for a in arns + [a1]:
            q.delete_scheduled_query(ScheduledQueryArn=a)
        for call in (q.delete_scheduled_query, q.describe_scheduled_query):
            with self.assertRaises(ClientError) as cm:
                call(ScheduledQueryArn=arns[0])
            self.assertEqual(code(cm.exception), "ResourceNotFoundException")
        self.assertEqual(q.list_scheduled_queries()["ScheduledQueries"], [])
        # the database refuses to go while tables remain (also with its queries gone)
        with self.assertRaises(ClientError) as cm:
            w.delete_database(DatabaseName="sq_db")
        self.assertEqual(code(cm.exception), "ValidationException")
        for t in ("src", "agg"):
            w.delete_table(DatabaseName="sq_db", TableName=t)
        w.delete_database(DatabaseName="sq_db")
        with self.assertRaises(ClientError) as cm:
            w.delete_database(DatabaseName="sq_db")
        self.assertEqual(code(cm.exception), "ResourceNotFoundException")

    def test_tables_create_describe_update_list(self):
        w = self.w
        w.create_database(DatabaseName="tbl_db")
        for i in range(25):
            w.create_table(DatabaseName="tbl_db", TableName=f"t{i:02d}",
                           RetentionProperties={"MemoryStoreRetentionPeriodInHours": 12,
                                                "MagneticStoreRetentionPeriodInDays": 30})
        t = w.describe_table(DatabaseName="tbl_db", TableName="t03")["Table"]
        self.assertEqual(t["TableStatus"], "ACTIVE")
        self.assertEqual(t["RetentionProperties"], {"MemoryStoreRetentionPeriodInHours": 12,
                                                    "MagneticStoreRetentionPeriodInDays": 30})
        self.assertFalse(t["MagneticStoreWriteProperties"]["EnableMagneticStoreWrites"])
        t = w.update_table(DatabaseName="tbl_db", TableName="t03",
                           MagneticStoreWriteProperties={"EnableMagneticStoreWrites": True})["Table"]
        self.assertTrue(t["MagneticStoreWriteProperties"]["EnableMagneticStoreWrites"])
        tables, tok = [], None
        while True:
            r = w.list_tables(DatabaseName="tbl_db", MaxResults=20, **({"NextToken": tok} if tok else {}))
            self.assertLessEqual(len(r["Tables"]), 20)
            tables += [x["TableName"] for x in r["Tables"]]
            tok = r.get("NextToken")
            if not tok:
                break
        self.assertEqual(tables, [f"t{i:02d}" for i in range(25)])
        self.assertEqual(w.describe_database(DatabaseName="tbl_db")["Database"]["TableCount"], 25)
        with self.assertRaises(ClientError) as cm:
            w.create_table(DatabaseName="tbl_db", TableName="t00")
        self.assertEqual(code(cm.exception), "ConflictException")
        with self.assertRaises(ClientError) as cm:
            w.create_table(DatabaseName="no_such_db", TableName="x")
        self.assertEqual(code(cm.exception), "ResourceNotFoundException")
        with self.assertRaises(ClientError) as cm:
            w.describe_table(DatabaseName="tbl_db", TableName="nope")
        self.assertEqual(code(cm.exception), "ResourceNotFoundException")
        with self.assertRaises(ClientError) as cm:
            w.create_table(DatabaseName="tbl_db", TableName="bad", RetentionProperties={
                "MemoryStoreRetentionPeriodInHours": 9000, "MagneticStoreRetentionPeriodInDays": 1})
        self.assertEqual(code(cm.exception), "ValidationException")
        for i in range(25):
            w.delete_table(DatabaseName="tbl_db", TableName=f"t{i:02d}")
        w.delete_database(DatabaseName="tbl_db")

    # ------------------------------------------------------------------ writes
    def _table(self, db, table, magnetic=True):
        try:
            self.w.create_database(DatabaseName=db)
        except ClientError:
            pass
        self.w.create_table(DatabaseName=db, TableName=table,
                            MagneticStoreWriteProperties={"EnableMagneticStoreWrites": magnetic})

    def test_every_type_and_time_unit(self):
        self._table("wdb", "types")
        base_s = T0 // NS + 86400
        recs = [
            {"MeasureName": "d", "MeasureValue": "0.1", "MeasureValueType": "DOUBLE",
             "Time": str(base_s), "TimeUnit": "SECONDS"},
            {"MeasureName": "b", "MeasureValue": "-9223372036854775808", "MeasureValueType": "BIGINT",
             "Time": str(base_s * 1000 + 1), "TimeUnit": "MILLISECONDS"},
            {"MeasureName": "v", "MeasureValue": "a \"quoted\", comma\nnewline ü", "MeasureValueType": "VARCHAR",
             "Time": str(base_s * 1000000 + 2), "TimeUnit": "MICROSECONDS"},
            {"MeasureName": "bo", "MeasureValue": "TRUE", "MeasureValueType": "BOOLEAN",
             "Time": str(base_s * NS + 3), "TimeUnit": "NANOSECONDS"},
            {"MeasureName": "ts", "MeasureValue": str(base_s * NS + 999999999), "MeasureValueType": "TIMESTAMP",
             "Time": str(base_s * NS + 4), "TimeUnit": "NANOSECONDS"},
            {"MeasureName": "dflt", "MeasureValue": "12345678.5", "Time": str(base_s * 1000 + 5)},  # defaults
        ]
        for r in recs:
            r["Dimensions"] = [{"Name": "dev", "Value": "x"}]
        out = self.w.write_records(DatabaseName="wdb", TableName="types", Records=recs)
        self.assertEqual(out["RecordsIngested"]["Total"], 6)
        cols, rows, _ = query_all(self.q, 'SELECT measure_name, to_nanoseconds(time) AS ns, time, '
                                          '"measure_value::double", "measure_value::bigint", '
                                          'measure_value::varchar, measure_value::boolean, measure_value::timestamp '
                                          'FROM "wdb"."types" ORDER BY time')
        self.assertEqual([(c["Name"], c["Type"]["ScalarType"]) for c in cols], [
            ("measure_name", "VARCHAR"), ("ns", "BIGINT"), ("time", "TIMESTAMP"),
            ("measure_value::double", "DOUBLE"), ("measure_value::bigint", "BIGINT"),
            ("measure_value::varchar", "VARCHAR"), ("measure_value::boolean", "BOOLEAN"),
            ("measure_value::timestamp", "TIMESTAMP")])
        b = base_s * NS
        self.assertEqual(rows, [
            ["d", str(b), "2024-01-02 00:00:00.000000000", "0.1", None, None, None, None],
            ["bo", str(b + 3), "2024-01-02 00:00:00.000000003", None, None, None, "true", None],
            ["ts", str(b + 4), "2024-01-02 00:00:00.000000004", None, None, None, None,
             "2024-01-02 00:00:00.999999999"],
            ["v", str(b + 2000), "2024-01-02 00:00:00.000002000", None, None, "a \"quoted\", comma\nnewline ü", None,
             None],
            ["b", str(b + 1000000), "2024-01-02 00:00:00.001000000", None, "-9223372036854775808", None, None, None],
            ["dflt", str(b + 5000000), "2024-01-02 00:00:00.005000000", "1.23456785E7", None, None, None, None],
        ])
        # every value is a string; NULLs are NullValue
        r = self.q.query(QueryString='SELECT "measure_value::double" FROM wdb.types WHERE measure_name = \'b\'')
        self.assertEqual(r["Rows"], [{"Data": [{"NullValue": True}]}])

    def test_multi_measure_with_common_attributes(self):
        self._table("wdb2", "multi")
        r = self.w.write_records(
            DatabaseName="wdb2", TableName="multi",
            CommonAttributes={"Dimensions": [{"Name": "site", "Value": "s1", "DimensionValueType": "VARCHAR"}],
                              "MeasureName": "reading", "MeasureValueType": "MULTI", "TimeUnit": "NANOSECONDS",
                              "Version": 3},
            Records=[{"Dimensions": [{"Name": "unit", "Value": "u1"}], "Time": str(T0 + 1),
                      "MeasureValues": sv([("temp", "1.5", "DOUBLE"), ("n", "42", "BIGINT"), ("ok", "false", "BOOLEAN"),
                                           ("txt", "hello", "VARCHAR"), ("at", str(T0 + 7), "TIMESTAMP")])},
                     {"Dimensions": [{"Name": "unit", "Value": "u2"}], "Time": str(T0 + 2),
                      "MeasureValues": sv([("temp", "2.5", "DOUBLE")])}])
        self.assertEqual(r["RecordsIngested"]["Total"], 2)
        self.assertEqual(r["RecordsIngested"]["MagneticStore"], 2)
        cols, rows, _ = query_all(self.q, 'SELECT * FROM "wdb2"."multi" ORDER BY unit')
        self.assertEqual([c["Name"] for c in cols], ["site", "unit", "measure_name", "time", "temp", "n", "ok", "txt", "at"])
        self.assertEqual(rows[0], ["s1", "u1", "reading", "2024-01-01 00:00:00.000000001", "1.5", "42", "false", "hello",
                                   "2024-01-01 00:00:00.000000007"])
        self.assertEqual(rows[1], ["s1", "u2", "reading", "2024-01-01 00:00:00.000000002", "2.5", None, None, None, None])
        cols, rows, _ = query_all(self.q, 'DESCRIBE "wdb2"."multi"')
        self.assertEqual([c["Name"] for c in cols], ["Column", "Type", "Timestream attribute type"])
        self.assertEqual(rows, [["site", "varchar", "DIMENSION"], ["unit", "varchar", "DIMENSION"],
                                ["measure_name", "varchar", "MEASURE_NAME"], ["time", "timestamp", "TIMESTAMP"],
                                ["temp", "double", "MULTI"], ["n", "bigint", "MULTI"], ["ok", "boolean", "MULTI"],
                                ["txt", "varchar", "MULTI"], ["at", "timestamp", "MULTI"]])
        # a dimension named in both CommonAttributes and the record is a request error
        with self.assertRaises(ClientError) as cm:
            self.w.write_records(DatabaseName="wdb2", TableName="multi",
                                 CommonAttributes={"Dimensions": [{"Name": "site", "Value": "s1"}]},
                                 Records=[{"Dimensions": [{"Name": "site", "Value": "s2"}], "MeasureName": "x",
                                           "MeasureValue": "1", "Time": str(T0 // 1000000)}])
        self.assertEqual(code(cm.exception), "ValidationException")

    def test_rejected_records_partial_success(self):
        self._table("wdb3", "rej")
        t = str(T0 // 1000000)
        base = {"Dimensions": [{"Name": "h", "Value": "a"}], "MeasureName": "m", "Time": t}
        self.w.write_records(DatabaseName="wdb3", TableName="rej", Records=[dict(base, MeasureValue="1.0")])
        recs = [
            dict(base, MeasureValue="1.0"),                                          # 0 identical: accepted
            dict(base, MeasureValue="2.0"),                                          # 1 same version, new value
            dict(base, MeasureValue="5", MeasureValueType="BIGINT",
                 Time=str(T0 // 1000000 + 1)),                                       # 2 type conflict
            dict(base, MeasureValue="3.0", Time=str(T0 // 1000000 + 2)),             # 3 fine
            dict(base, MeasureValue="abc", Time=str(T0 // 1000000 + 3)),             # 4 not a double
            dict(base, MeasureValue="4.0", Time=str((time.time_ns() + 3600 * NS) // 1000000)),  # 5 future
        ]
        with self.assertRaises(ClientError) as cm:
            self.w.write_records(DatabaseName="wdb3", TableName="rej", Records=recs)
        e = cm.exception
        self.assertEqual(code(e), "RejectedRecordsException")
        self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 419)
        rej = {r["RecordIndex"]: r for r in e.response["RejectedRecords"]}
        self.assertEqual(sorted(rej), [1, 2, 4, 5], e.response["RejectedRecords"])
        self.assertEqual(rej[1]["ExistingVersion"], 1)
        self.assertIn("version", rej[1]["Reason"])
        self.assertIn("DOUBLE", rej[2]["Reason"])
        self.assertIn("outside the time range", rej[5]["Reason"])
        # the accepted records of that batch were written
        _, rows, _ = query_all(self.q, "SELECT measure_value::double FROM wdb3.rej ORDER BY time")
        self.assertEqual(rows, [["1.0"], ["3.0"]])
        # a higher Version replaces the value
        self.w.write_records(DatabaseName="wdb3", TableName="rej", Records=[dict(base, MeasureValue="9.5", Version=2)])
        _, rows, _ = query_all(self.q, f"SELECT measure_value::double FROM wdb3.rej WHERE time = from_milliseconds({t})")
        self.assertEqual(rows, [["9.5"]])

    def test_memory_store_window(self):
        self._table("wdb4", "mem", magnetic=False)
        now_ms = time.time_ns() // 1000000
        ok = self.w.write_records(DatabaseName="wdb4", TableName="mem", Records=[
            {"MeasureName": "m", "MeasureValue": "1", "Time": str(now_ms - 60000),
             "Dimensions": [{"Name": "h", "Value": "a"}]}])
        self.assertEqual(ok["RecordsIngested"]["MemoryStore"], 1)
        with self.assertRaises(ClientError) as cm:
            self.w.write_records(DatabaseName="wdb4", TableName="mem", Records=[
                {"MeasureName": "m", "MeasureValue": "1", "Time": str(now_ms - 7 * 3600 * 1000),
                 "Dimensions": [{"Name": "h", "Value": "a"}]}])
        r = cm.exception.response["RejectedRecords"]
        self.assertEqual(r[0]["RecordIndex"], 0)
        self.assertIn("of the memory store", r[0]["Reason"])

    def test_write_request_limits(self):
        self._table("wdb5", "lim")
        recs = [{"MeasureName": "m", "MeasureValue": "1", "Time": str(T0 // 1000000 + i),
                 "Dimensions": [{"Name": "h", "Value": "a"}]} for i in range(101)]
        with self.assertRaises(ClientError) as cm:
            self.w.write_records(DatabaseName="wdb5", TableName="lim", Records=recs)
        self.assertEqual(code(cm.exception), "ValidationException")
        self.assertIn("100", cm.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as cm:
            self.w.write_records(DatabaseName="wdb5", TableName="nope", Records=recs[:1])
        self.assertEqual(code(cm.exception), "ResourceNotFoundException")
        self.assertEqual(self.w.write_records(DatabaseName="wdb5", TableName="lim", Records=recs[:100])
                         ["RecordsIngested"]["Total"], 100)

    # ------------------------------------------------------------------ queries
    def test_query_time_filters(self):
        q = self.q
        n = lambda qs: int(query_all(q, qs)[1][0][0])  # noqa: E731
        self.assertEqual(n('SELECT count(*) FROM "qdb"."metrics"'), 125)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE time >= from_iso8601_timestamp('2024-01-01T00:10:00Z') "
                           "AND time < from_iso8601_timestamp('2024-01-01T00:20:00Z') AND measure_name = 'cpu'"), 30)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE time BETWEEN from_iso8601_timestamp('2024-01-01T00:10:00Z') "
                           "AND from_iso8601_timestamp('2024-01-01T00:20:00Z') AND measure_name = 'cpu'"), 31)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE time > '2024-01-01 00:38:00' AND measure_name = 'cpu'"), 5)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE time > ago(1h)"), 0)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE time <= now() - 1d"), 125)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE to_nanoseconds(time) % 1000 <> 0"), 80)
        _, rows, _ = query_all(q, "SELECT count(*), min(time), max(time) FROM qdb.metrics WHERE measure_name = 'cpu'")
        self.assertEqual(rows, [["120", "2024-01-01 00:00:00.000000000", "2024-01-01 00:39:00.000002002"]])

    def test_query_dimension_filters(self):
        q = self.q
        n = lambda qs: int(query_all(q, qs)[1][0][0])  # noqa: E731
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE host = 'h1'"), 40)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE host IN ('h1', 'h3')"), 80)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE host NOT IN ('h1', 'h3')"), 45)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE region IS NULL"), 5)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE region IS NOT NULL"), 120)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE (host = 'h1' OR host = 'h9') AND NOT (measure_name = 'env')"), 40)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE host LIKE 'h_' AND host <> 'H1'"), 125)
        self.assertEqual(n("SELECT count(*) FROM qdb.metrics WHERE measure_value::double > 38.95"), 3)

    def test_query_order_limit_and_projection(self):
        cols, rows, _ = query_all(self.q, "SELECT host, time, measure_value::double AS v FROM qdb.metrics "
                                          "WHERE measure_name = 'cpu' ORDER BY host DESC, time ASC LIMIT 3")
        self.assertEqual([c["Name"] for c in cols], ["host", "time", "v"])
        self.assertEqual(rows, [["h3", "2024-01-01 00:00:00.000002002", "0.2"],
                                ["h3", "2024-01-01 00:01:00.000002002", "1.2"],
                                ["h3", "2024-01-01 00:02:00.000002002", "2.2"]])
        _, rows, _ = query_all(self.q, "SELECT to_nanoseconds(time) AS time_ns, * FROM \"qdb\".\"metrics\" "
                                       "WHERE measure_name = 'env' ORDER BY time LIMIT 1")
        self.assertEqual(rows, [[str(T0 + 1000), "h9", None, "env", "2024-01-01 00:00:00.000001000", None,
                                 "20.0", "0", "false", "n0"]])

    def test_query_aggregates_and_bin(self):
        cols, rows, _ = query_all(self.q, "SELECT bin(time, 10m) AS b, host, count(*) AS c, sum(measure_value::double) AS s, "
                                          "avg(measure_value::double), min(measure_value::double), max(measure_value::double) "
                                          "FROM qdb.metrics WHERE measure_name = 'cpu' AND host = 'h1' "
                                          "GROUP BY bin(time, 10m), host ORDER BY b")
        self.assertEqual([(c["Name"], c["Type"]["ScalarType"]) for c in cols],
                         [("b", "TIMESTAMP"), ("host", "VARCHAR"), ("c", "BIGINT"), ("s", "DOUBLE"),
                          ("_col4", "DOUBLE"), ("_col5", "DOUBLE"), ("_col6", "DOUBLE")])
        self.assertEqual(rows[0], ["2024-01-01 00:00:00.000000000", "h1", "10", "45.0", "4.5", "0.0", "9.0"])
        self.assertEqual(len(rows), 4)
        _, rows, _ = query_all(self.q, "SELECT sum(count), max(temp), min(note) FROM qdb.metrics WHERE measure_name = 'env'")
        self.assertEqual(rows, [["10", "22.0", "n0"]])
        with self.assertRaises(ClientError) as cm:
            self.q.query(QueryString="SELECT host, count(*) FROM qdb.metrics")
        self.assertIn("GROUP BY", cm.exception.response["Error"]["Message"])

    def test_show_and_describe(self):
        _, rows, _ = query_all(self.q, "SHOW DATABASES")
        self.assertIn(["qdb"], rows)
        cols, rows, _ = query_all(self.q, 'SHOW TABLES FROM "qdb"')
        self.assertEqual((cols[0]["Name"], rows), ("Table", [["metrics"]]))
        _, rows, _ = query_all(self.q, "SHOW TABLES")
        self.assertIn(["metrics"], rows)
        r = self.q.query(QueryString="SHOW MEASURES FROM qdb.metrics")
        self.assertEqual([c["Name"] for c in r["ColumnInfo"]], ["measure_name", "data_type", "dimensions"])
        self.assertEqual([(d[0]["ScalarValue"], d[1]["ScalarValue"]) for d in (x["Data"] for x in r["Rows"])],
                         [("cpu", "double"), ("env", "multi")])
        dims = [x["RowValue"]["Data"][0]["ScalarValue"] for x in r["Rows"][0]["Data"][2]["ArrayValue"]]
        self.assertEqual(dims, ["host", "region"])
        _, rows, _ = query_all(self.q, 'DESCRIBE "qdb"."metrics"')
        self.assertEqual(rows[:4], [["host", "varchar", "DIMENSION"], ["region", "varchar", "DIMENSION"],
                                    ["measure_name", "varchar", "MEASURE_NAME"], ["time", "timestamp", "TIMESTAMP"]])
        self.assertIn(["measure_value::double", "double", "MEASURE_VALUE"], rows)

    def test_query_errors(self):
        cases = [
            ("SELEKT * FROM qdb.metrics", "mismatched"),
            ('SELECT * FROM "qdb"."nope"', "does not exist"),
            ('SELECT * FROM "nodb"."metrics"', "Requested database 'nodb' not found"),
            ("SELECT nocol FROM qdb.metrics", "nocol"),
            ("SELECT * FROM metrics", "qualified"),
            ("SELECT * FROM qdb.metrics WHERE time > 5", "cannot be applied"),
            ("SELECT * FROM qdb.metrics a JOIN qdb.metrics b ON a.time = b.time", "not supported"),
            ("SELECT frobnicate(time) FROM qdb.metrics", "frobnicate"),
            ("SELECT * FROM qdb.metrics WHERE time > from_iso8601_timestamp('yesterday')", "from_iso8601_timestamp"),
            ("SELECT * FROM qdb.metrics WHERE host = 'unterminated", "mismatched"),
            ("SHOW TABLES FROM nodb", "does not exist"),
        ]
        for qs, needle in cases:
            with self.subTest(qs=qs):
                with self.assertRaises(ClientError) as cm:
                    self.q.query(QueryString=qs)
                self.assertEqual(code(cm.exception), "ValidationException")
                self.assertIn(needle, cm.exception.response["Error"]["Message"])

    def test_concurrent_writes_and_paged_reads(self):
        # the server is threaded: writers adding columns while readers page must not interfere
        import threading
        self._table("cdb", "conc")
        writers = [clients(self.emu.url)[0] for _ in range(3)]
        reader = clients(self.emu.url)[1]
        errors = []

        def write(k, w):
            try:
                for j in range(5):
                    w.write_records(DatabaseName="cdb", TableName="conc", Records=[
                        {"Dimensions": [{"Name": f"d{k}", "Value": str(i)}], "MeasureName": f"m{k}",
                         "MeasureValueType": "MULTI", "Time": str(T0 + j * 1000 + i), "TimeUnit": "NANOSECONDS",
                         "MeasureValues": [{"Name": f"f{k}_{j}", "Value": str(i), "Type": "BIGINT"}]}
                        for i in range(100)])
            except Exception as e:  # reported below, with the thread's context
                errors.append(f"writer {k}: {e!r}")

        def read():
            try:
                for _ in range(3):
                    _, rows, _ = query_all(reader, "SELECT * FROM qdb.metrics ORDER BY time", MaxRows=50)
                    if len(rows) != 125:
                        errors.append(f"reader saw {len(rows)} rows")
                    query_all(reader, "DESCRIBE cdb.conc")
            except Exception as e:
                errors.append(f"reader: {e!r}")

        threads = [threading.Thread(target=write, args=(k, w)) for k, w in enumerate(writers)]
        threads.append(threading.Thread(target=read))
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        self.assertEqual(errors, [])
        _, rows, _ = query_all(self.q, "SELECT count(*), count(f0_4), count(f2_0) FROM cdb.conc")
        self.assertEqual(rows, [["1500", "100", "100"]])

    # ------------------------------------------------------------------ paging
    def test_paging_by_max_rows(self):
        qs = 'SELECT * FROM "qdb"."metrics" ORDER BY time, host'
        first = self.q.query(QueryString=qs, MaxRows=10)
        self.assertEqual(first["Rows"], [])          # the service's "empty first page" habit
        self.assertIn("NextToken", first)
        self.assertTrue(first["ColumnInfo"])
        _, rows, pages = query_all(self.q, qs, MaxRows=10)
        self.assertEqual(len(rows), 125)
        self.assertEqual(pages, 1 + 13)
        _, all_rows, one = query_all(self.q, qs)
        self.assertEqual((rows, one), (all_rows, 1))
        # a result that fits in one page comes back at once
        r = self.q.query(QueryString="SELECT count(*) FROM qdb.metrics", MaxRows=10)
        self.assertEqual((scalars(r), "NextToken" in r), ([["125"]], False))

    def test_next_token_rules(self):
        qs = "SELECT * FROM qdb.metrics"
        tok = self.q.query(QueryString=qs, MaxRows=5)["NextToken"]
        with self.assertRaises(ClientError) as cm:
            self.q.query(QueryString=qs + " WHERE host = 'h1'", NextToken=tok, MaxRows=5)
        self.assertEqual(code(cm.exception), "ValidationException")
        p1 = self.q.query(QueryString=qs, NextToken=tok, MaxRows=5)
        again = self.q.query(QueryString=qs, NextToken=tok, MaxRows=5)   # a retried token: same page
        self.assertEqual(scalars(p1), scalars(again))
        self.assertEqual(len(p1["Rows"]), 5)
        p2 = self.q.query(QueryString=qs, NextToken=p1["NextToken"], MaxRows=5)
        self.assertNotEqual(scalars(p1), scalars(p2))
        with self.assertRaises(ClientError) as cm:
            self.q.query(QueryString=qs, NextToken="AYABbogus", MaxRows=5)
        self.assertEqual(code(cm.exception), "ValidationException")

    def test_paging_by_size(self):
        self._table("pdb", "big")
        blob = "x" * 2000
        for k in range(8):
            self.w.write_records(DatabaseName="pdb", TableName="big", Records=[
                {"Dimensions": [{"Name": "i", "Value": str(k * 100 + j)}], "MeasureName": "s",
                 "MeasureValueType": "VARCHAR", "MeasureValue": blob, "Time": str(T0 // 1000000 + k * 100 + j)}
                for j in range(100)])
        r = self.q.query(QueryString="SELECT * FROM pdb.big")
        self.assertIn("NextToken", r)
        self.assertLess(len(json.dumps(r)), 1_100_000)
        self.assertGreater(len(r["Rows"]), 100)
        _, rows, pages = query_all(self.q, "SELECT * FROM pdb.big")
        self.assertEqual(len(rows), 800)
        self.assertGreaterEqual(pages, 2)


class TimestreamFaultTest(unittest.TestCase):
    def outcomes(self, faults, n=40):
        with Emulator("timestream", "--faults", faults) as emu:
            w, _ = clients(emu.url, config=NO_RETRY)
            self.assertEqual(w.describe_endpoints()["Endpoints"][0]["Address"], f"127.0.0.1:{emu.port}")
            out = []
            for _ in range(n):
                try:
                    w.list_databases()
                    out.append("ok")
                except ClientError as e:
                    out.append(f"{code(e)}:{e.response['ResponseMetadata']['HTTPStatusCode']}")
                except (ConnectionClosedError, EndpointConnectionError):
                    out.append("dropped")
                except Exception as e:  # other botocore connection errors also mean "dropped"
                    out.append("dropped" if "onnection" in type(e).__name__ else repr(e))
            return out

    def test_faults_are_reproducible_with_a_seed(self):
        spec = "throttle=0.2,5xx=0.15,drop=0.1,seed=42"
        a, b = self.outcomes(spec), self.outcomes(spec)
        self.assertEqual(a, b)
        self.assertIn("ThrottlingException:400", a)
        self.assertIn("InternalServerException:500", a)
        self.assertIn("dropped", a)
        self.assertIn("ok", a)

    def test_retrying_client_gets_through(self):
        with Emulator("timestream", "--faults", "throttle=0.3,seed=1,latency_ms=5") as emu:
            w, q = clients(emu.url, config=Config(retries={"max_attempts": 10, "mode": "standard"}))
            w.create_database(DatabaseName="fdb")
            self.assertEqual([d["DatabaseName"] for d in w.list_databases()["Databases"]], ["fdb"])

    def test_lost_answers_and_empty_pages(self):
        # drop_after does the work and loses the answer; re-sending the same NextToken must give
        # the same page again, so a retrying client reads every row exactly once, in order, also
        # when empty pages with a NextToken come in between.  The retry loop is ours (no botocore
        # backoff sleeps), re-sending exactly the request that got no answer.
        with Emulator("timestream", "--faults", "drop_after=0.3,empty_pages=0.3,seed=5,only=Query",
                      "--retention", "ignore") as emu:
            w, _ = clients(emu.url)
            _, q = clients(emu.url, config=NO_RETRY)
            w.create_database(DatabaseName="r")
            w.create_table(DatabaseName="r", TableName="t")
            w.write_records(DatabaseName="r", TableName="t", Records=[
                {"MeasureName": "m", "MeasureValue": str(i), "MeasureValueType": "BIGINT", "Time": str(1000 + i)}
                for i in range(100)])
            qs = "SELECT measure_value::bigint FROM r.t ORDER BY time"
            rows, pages, retries, tok = [], 0, 0, None
            while True:
                args = dict(QueryString=qs, MaxRows=9, **({"NextToken": tok} if tok else {}))
                try:
                    r = q.query(**args)
                except (ConnectionClosedError, EndpointConnectionError):
                    retries += 1
                    self.assertLess(retries, 100)
                    continue
                pages += 1
                rows += [x[0] for x in scalars(r)]
                tok = r.get("NextToken")
                if not tok:
                    break
            self.assertEqual(rows, [str(i) for i in range(100)])
            self.assertGreater(retries, 0)
            self.assertGreater(pages, 1 + 12)     # empty pages were served on top of the 12 full ones
            conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
            conn.request("GET", "/emulator/stats")
            stats = json.loads(conn.getresponse().read())
            conn.close()
            self.assertEqual(stats["faults"]["drop_after"], retries, stats)


class TimestreamLoadAndPersistenceTest(unittest.TestCase):
    def test_bulk_load_multi_and_single(self):
        with tempfile.TemporaryDirectory() as tmp:
            lp = os.path.join(tmp, "data.lp.gz")
            with gzip.open(lp, "wt") as f:
                f.write("# comment\n")
                for i in range(1000):
                    f.write(f"weather,station=s{i % 4},measure_name=obs temp={i / 4},hum={i % 100}i,"
                            f"ok={'true' if i % 2 else 'false'},txt=\"a b\" {T0 + i * NS + 7}\n")
                f.write(f"weather,station=s0 measure_value::double=1.5 {T0}\n")
            lp2 = os.path.join(tmp, "single.lp")
            with open(lp2, "w") as f:
                for i in range(10):
                    f.write(f"cpu,host=h{i % 2} usage={i}.5,count={i}i {T0 + i}\n")
            with Emulator("timestream", "--load", f"ldb.weather={lp}") as emu:
                _, q = clients(emu.url)
                _, rows, _ = query_all(q, "SELECT count(*), min(time), max(time) FROM ldb.weather")
                self.assertEqual(rows, [["1001", "2024-01-01 00:00:00.000000000", "2024-01-01 00:16:39.000000007"]])
                _, rows, _ = query_all(q, "DESCRIBE ldb.weather")
                self.assertEqual(rows, [["station", "varchar", "DIMENSION"], ["measure_name", "varchar", "MEASURE_NAME"],
                                        ["time", "timestamp", "TIMESTAMP"], ["temp", "double", "MULTI"],
                                        ["hum", "bigint", "MULTI"], ["ok", "boolean", "MULTI"],
                                        ["txt", "varchar", "MULTI"],
                                        ["measure_value::double", "double", "MEASURE_VALUE"]])
                _, rows, _ = query_all(q, "SELECT station, measure_name, temp, hum, ok, txt FROM ldb.weather "
                                          "WHERE measure_name = 'obs' ORDER BY time LIMIT 2")
                self.assertEqual(rows, [["s0", "obs", "0.0", "0", "false", "a b"], ["s1", "obs", "0.25", "1", "true", "a b"]])
            with Emulator("timestream", "--load", f"ldb.cpu={lp2}", "--load-mode", "single") as emu:
                _, q = clients(emu.url)
                _, rows, _ = query_all(q, "SELECT measure_name, count(*) FROM ldb.cpu GROUP BY measure_name ORDER BY 1")
                self.assertEqual(rows, [["count", "10"], ["usage", "10"]])

    def test_bad_load_file_fails_clearly(self):
        with tempfile.TemporaryDirectory() as tmp:
            lp = os.path.join(tmp, "bad.lp")
            with open(lp, "w") as f:
                f.write("m f=1 1\nm f= 2\n")
            with self.assertRaises(RuntimeError) as cm:
                Emulator("timestream", "--load", f"d.t={lp}")
            self.assertIn("bad.lp:2", str(cm.exception))

    def test_data_dir_persists(self):
        with tempfile.TemporaryDirectory() as tmp:
            with Emulator("timestream", "--data", tmp) as emu:
                w, _ = clients(emu.url)
                w.create_database(DatabaseName="keep")
                w.create_table(DatabaseName="keep", TableName="t",
                               MagneticStoreWriteProperties={"EnableMagneticStoreWrites": True})
                w.write_records(DatabaseName="keep", TableName="t", Records=[
                    {"Dimensions": [{"Name": "d", "Value": "v"}], "MeasureName": "m", "MeasureValue": "2",
                     "MeasureValueType": "BIGINT", "Time": str(T0 + 123), "TimeUnit": "NANOSECONDS"}])
            with Emulator("timestream", "--data", tmp) as emu:
                _, q = clients(emu.url)
                _, rows, _ = query_all(q, "SELECT d, to_nanoseconds(time), measure_value::bigint FROM keep.t")
                self.assertEqual(rows, [["v", str(T0 + 123), "2"]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
