"""S3 through boto3: the one module that talks to object storage.

Configured from the environment (S3_ENDPOINT_URL, S3_REGION, S3_ACCESS_KEY_ID,
S3_SECRET_ACCESS_KEY, S3_BUCKET_DATA, S3_BUCKET_LOGS). A bucket left empty turns that
archival off; /status reports it. Errors come out as two kinds: `StorageUnavailable`
(worth retrying: the endpoint is down or overloaded) and `StorageRefused` (retrying
cannot help: no such bucket, bad credentials), each with a one-line reason.
"""

import functools
from typing import IO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

# Codes S3 answers when the request itself is wrong, not the moment.
PERMANENT_CODES = {"NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                   "InvalidBucketName", "AllAccessDisabled", "AccountProblem", "403", "404"}


class StorageError(Exception):
    """An S3 operation failed; str() is a reason fit for a job's `error`."""


class StorageUnavailable(StorageError):
    pass


class StorageRefused(StorageError):
    pass


class StorageDisabled(StorageError):
    pass


def bucket_for(purpose: str) -> str:
    """The bucket for `data` or `logs`, or StorageDisabled when it is not configured."""
    bucket = {"data": settings.S3_BUCKET_DATA, "logs": settings.S3_BUCKET_LOGS}[purpose]
    if not bucket:
        raise StorageDisabled(f"S3 archival of {purpose} is off: S3_BUCKET_{purpose.upper()} is not set.")
    return bucket


def storage_enabled(purpose: str = "data") -> bool:
    return bool(settings.S3_BUCKET_DATA if purpose == "data" else settings.S3_BUCKET_LOGS)


@functools.lru_cache(maxsize=4)
def _client(endpoint_url: str, region: str, key_id: str, secret: str, timeout_s: float):
    config = Config(
        region_name=region, signature_version="s3v4", connect_timeout=timeout_s, read_timeout=timeout_s * 6,
        # One quick retry inside boto3; the Celery task owns retries with backoff.
        retries={"total_max_attempts": 2, "mode": "standard"},
        # Path-style addressing works with every S3-compatible server (MinIO, moto, Ceph).
        s3={"addressing_style": "path" if endpoint_url else "auto"},
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url or None, aws_access_key_id=key_id or None,
        aws_secret_access_key=secret or None, config=config)


def s3_client():
    return _client(settings.S3_ENDPOINT_URL, settings.S3_REGION, settings.S3_ACCESS_KEY_ID,
                   settings.S3_SECRET_ACCESS_KEY, settings.S3_TIMEOUT_S)


def _translated(exc: Exception, what: str) -> StorageError:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        reason = f"{what}: {code or status} {error.get('Message', '')}".strip()
        if code in PERMANENT_CODES or 400 <= status < 500 and code not in ("SlowDown", "RequestTimeout"):
            return StorageRefused(reason)
        return StorageUnavailable(reason)
    return StorageUnavailable(f"{what}: {type(exc).__name__}: {exc}")


def object_upload(*, bucket: str, key: str, body: IO[bytes], content_type: str,
                  content_encoding: str | None = None) -> None:
    """Upload (multipart when large); the same key again replaces the object."""
    extra = {"ContentType": content_type}
    if content_encoding:
        extra["ContentEncoding"] = content_encoding
    try:
        s3_client().upload_fileobj(body, bucket, key, ExtraArgs=extra)
    except (BotoCoreError, ClientError) as exc:
        raise _translated(exc, f"upload to s3://{bucket}/{key}") from exc
    except Exception as exc:
        # s3transfer wraps some failures in its own types; their cause says what happened.
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, (BotoCoreError, ClientError)):
            raise _translated(cause, f"upload to s3://{bucket}/{key}") from exc
        raise


def download_url(*, bucket: str, key: str, filename: str, expires_s: int | None = None) -> str:
    """A presigned GET URL; signing is local, so it never fails for a down endpoint."""
    return s3_client().generate_presigned_url(
        "get_object", ExpiresIn=expires_s or settings.S3_PRESIGN_EXPIRES_S,
        Params={"Bucket": bucket, "Key": key, "ResponseContentDisposition": f'attachment; filename="{filename}"'})


def buckets_check() -> dict:
    """For /status: each configured bucket reachable (HeadBucket), or StorageError."""
    buckets = {purpose: bucket for purpose, bucket in
               (("data", settings.S3_BUCKET_DATA), ("logs", settings.S3_BUCKET_LOGS)) if bucket}
    if not buckets:
        return {"detail": "off (S3_BUCKET_DATA and S3_BUCKET_LOGS not set)", "enabled": False}
    for bucket in set(buckets.values()):
        try:
            s3_client().head_bucket(Bucket=bucket)
        except (BotoCoreError, ClientError) as exc:
            raise _translated(exc, f"bucket {bucket}") from exc
    return {"detail": settings.S3_ENDPOINT_URL or "aws", "enabled": True, "buckets": buckets}
