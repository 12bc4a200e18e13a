"""Type checks of request bodies against the operations' input shapes (botocore model, by hand).

A client other than boto3 (tsarchive's C code) can send any JSON; a member of the wrong JSON type
is answered as the service's deserializer does, with a 400 SerializationException naming the
member, instead of tripping over it deeper down.  Unknown members are ignored.
"""
from .store import ServiceError

S, I, B, L, D = "string", "integer", "boolean", "list", "structure"

DIMENSION = {"Name": S, "Value": S, "DimensionValueType": S}
MEASURE_VALUE = {"Name": S, "Value": S, "Type": S}
RECORD = {"Dimensions": [DIMENSION], "MeasureName": S, "MeasureValue": S, "MeasureValueType": S,
          "MeasureValues": [MEASURE_VALUE], "Time": S, "TimeUnit": S, "Version": I}
TAG = {"Key": S, "Value": S}
RETENTION = {"MemoryStoreRetentionPeriodInHours": I, "MagneticStoreRetentionPeriodInDays": I}
MAGNETIC = {"EnableMagneticStoreWrites": B,
            "MagneticStoreRejectedDataLocation": {"S3Configuration": {"BucketName": S, "ObjectKeyPrefix": S,
                                                                      "EncryptionOption": S, "KmsKeyId": S}}}
SCHEMA = {"CompositePartitionKey": [{"Type": S, "Name": S, "EnforcementInRecord": S}]}
TABLE_PROPS = {"DatabaseName": S, "TableName": S, "RetentionProperties": RETENTION,
               "MagneticStoreWriteProperties": MAGNETIC, "Schema": SCHEMA}

OPS = {
    "DescribeEndpoints": {},
    "CreateDatabase": {"DatabaseName": S, "KmsKeyId": S, "Tags": [TAG]},
    "DescribeDatabase": {"DatabaseName": S},
    "UpdateDatabase": {"DatabaseName": S, "KmsKeyId": S},
    "ListDatabases": {"MaxResults": I, "NextToken": S},
    "DeleteDatabase": {"DatabaseName": S},
    "CreateTable": dict(TABLE_PROPS, Tags=[TAG]),
    "DescribeTable": {"DatabaseName": S, "TableName": S},
    "UpdateTable": TABLE_PROPS,
    "ListTables": {"DatabaseName": S, "MaxResults": I, "NextToken": S},
    "DeleteTable": {"DatabaseName": S, "TableName": S},
    "WriteRecords": {"DatabaseName": S, "TableName": S, "CommonAttributes": RECORD, "Records": [RECORD]},
    "Query": {"QueryString": S, "ClientToken": S, "NextToken": S, "MaxRows": I, "QueryInsights": {"Mode": S}},
    "CancelQuery": {"QueryId": S},
    "ListScheduledQueries": {"MaxResults": I, "NextToken": S},
    "CreateScheduledQuery": {"Name": S, "QueryString": S, "ScheduleConfiguration": {"ScheduleExpression": S},
                             "NotificationConfiguration": {"SnsConfiguration": {"TopicArn": S}},
                             "TargetConfiguration": {"TimestreamConfiguration": {
                                 "DatabaseName": S, "TableName": S, "TimeColumn": S, "DimensionMappings": L,
                                 "MultiMeasureMappings": D, "MixedMeasureMappings": L, "MeasureNameColumn": S}},
                             "ClientToken": S, "ScheduledQueryExecutionRoleArn": S, "Tags": [TAG],
                             "KmsKeyId": S, "ErrorReportConfiguration": {"S3Configuration": {
                                 "BucketName": S, "ObjectKeyPrefix": S, "EncryptionOption": S}}},
    "DescribeScheduledQuery": {"ScheduledQueryArn": S},
    "UpdateScheduledQuery": {"ScheduledQueryArn": S, "State": S},
    "DeleteScheduledQuery": {"ScheduledQueryArn": S},
    "TagResource": {"ResourceARN": S, "Tags": [TAG]},
    "UntagResource": {"ResourceARN": S, "TagKeys": [S]},
    "ListTagsForResource": {"ResourceARN": S},
}


def _kind(v):
    if isinstance(v, bool):
        return B
    if isinstance(v, int):
        return I
    if isinstance(v, str):
        return S
    if isinstance(v, list):
        return L
    if isinstance(v, dict):
        return D
    return "number" if isinstance(v, float) else "null"


def _check(value, shape, path):
    if value is None:
        return                      # JSON null: treated as absent, as the service does
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise _err(path, D, value)
        for key, sub in shape.items():
            if key in value:
                _check(value[key], sub, f"{path}.{key}" if path else key)
    elif isinstance(shape, list):
        if not isinstance(value, list):
            raise _err(path, L, value)
        for i, item in enumerate(value):
            if item is None:
                raise _err(f"{path}[{i}]", shape[0] if isinstance(shape[0], str) else D, item)
            _check(item, shape[0], f"{path}[{i}]")
    elif _kind(value) != shape:
        raise _err(path, shape, value)


def _err(path, want, value):
    return ServiceError("SerializationException",
                        f"Invalid type for member '{path}': expected a JSON {want}, got {_kind(value)}.")


def check(op, body):
    _check(body, OPS.get(op, {}), "")
