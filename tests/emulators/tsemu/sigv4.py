"""SigV4 verification of awsJson requests, as the service checks them.

Only the Authorization-header form is accepted (SDKs never presign JSON-RPC calls).  The canonical
URI of a JSON service request is "/" after normalisation; we still encode the path the non-S3 way
(each segment twice) so a client that sends another path is checked the same way AWS would.
"""
import datetime
import hashlib
import hmac
import re
from urllib.parse import quote, unquote

_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$")
MAX_SKEW = datetime.timedelta(minutes=15)


class AuthError(Exception):
    def __init__(self, code, message, status=403):
        super().__init__(message)
        self.code = code
        self.status = status


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def _canonical_uri(path):
    segments = [quote(quote(unquote(s), safe="-_.~"), safe="-_.~%") for s in path.split("/")]
    return "/".join(segments) or "/"


def _canonical_query(query):
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        k, _, v = part.partition("=")
        pairs.append((quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def verify(method, path, query, headers, body, access_key, secret_key, service,
           session_token=None, now=None):
    """Check a request; returns (region, access_key) or raises AuthError.

    `headers` maps lower-case names to values (the last value wins for repeats, as SDKs never
    repeat the headers they sign).
    """
    auth = headers.get("authorization")
    if not auth:
        raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")
    m = _AUTH_RE.match(auth.strip())
    if not m:
        raise AuthError("IncompleteSignatureException",
                        f"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' "
                        f"parameters in AWS4-HMAC-SHA256 form. Authorization={auth[:64]}", 400)
    credential, signed_headers, signature = m.groups()
    cparts = credential.split("/")
    if len(cparts) != 5 or cparts[4] != "aws4_request":
        raise AuthError("IncompleteSignatureException", f"Credential is malformed: {credential}", 400)
    akid, date, region, svc, _ = cparts
    if akid != access_key:
        raise AuthError("UnrecognizedClientException", "The security token included in the request is invalid.")
    if svc != service:
        raise AuthError("InvalidSignatureException",
                        f"Credential should be scoped to correct service: '{service}'. ")
    amz_date = headers.get("x-amz-date")
    if not amz_date:
        raise AuthError("IncompleteSignatureException", "Request is missing X-Amz-Date header", 400)
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise AuthError("IncompleteSignatureException", f"X-Amz-Date {amz_date!r} is not YYYYMMDDThhmmssZ", 400)
    if amz_date[:8] != date:
        raise AuthError("InvalidSignatureException",
                        f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                        f"'{date}' != '{amz_date[:8]}'")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if abs(now - when) > MAX_SKEW:
        raise AuthError("InvalidSignatureException",
                        f"Signature expired: {amz_date} is now earlier than "
                        f"{(now - MAX_SKEW).strftime('%Y%m%dT%H%M%SZ')} ({now.strftime('%Y%m%dT%H%M%SZ')} - 15 min.)")
    names = signed_headers.split(";")
    if "host" not in names:
        raise AuthError("InvalidSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    canon_headers = []
    for name in names:
        if name not in headers:
            raise AuthError("InvalidSignatureException",
                            f"The request signature we calculated does not match the signature you provided. "
                            f"Signed header '{name}' is missing from the request.")
        value = " ".join(headers[name].strip().split())
        canon_headers.append(f"{name}:{value}\n")
    payload_hash = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    if payload_hash == "UNSIGNED-PAYLOAD":
        raise AuthError("InvalidSignatureException", "UNSIGNED-PAYLOAD is not accepted by this service.")
    canonical = "\n".join([method, _canonical_uri(path), _canonical_query(query), "".join(canon_headers),
                           signed_headers, payload_hash])
    scope = f"{date}/{region}/{svc}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret_key).encode(), date), region), svc), "aws4_request")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise AuthError("InvalidSignatureException",
                        "The request signature we calculated does not match the signature you provided. "
                        "Check your AWS Secret Access Key and signing method. Consult the service documentation "
                        "for details.")
    token = headers.get("x-amz-security-token")
    if session_token is not None and token is not None and token != session_token:
        raise AuthError("UnrecognizedClientException", "The security token included in the request is invalid.")
    return region, akid
