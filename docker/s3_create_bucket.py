#!/usr/bin/env python3
"""Create the media bucket if it does not exist (idempotent). The one-shot `s3-bucket` job of
docker-compose.yml runs it with the media image (boto3) before media-service starts.

Reads S3_ENDPOINT_URL, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_BUCKET and S3_REGION.
"""

import os
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

bucket = os.environ["S3_BUCKET"]
endpoint = os.environ.get("S3_ENDPOINT_URL") or None
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
    region_name=os.environ.get("S3_REGION") or "us-east-1",
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 10}),
)
for _ in range(30):
    try:
        s3.head_bucket(Bucket=bucket)
        print(f"[s3] bucket {bucket} exists")
        break
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
        s3.create_bucket(Bucket=bucket)
        print(f"[s3] bucket {bucket} created")
        break
    except EndpointConnectionError:
        time.sleep(2)
else:
    sys.exit(f"[s3] {endpoint} is not reachable")
