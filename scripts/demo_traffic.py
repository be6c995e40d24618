"""Demo traffic for kinspect: creates a stream on the local emulator and keeps putting a mix
of JSON, plain-text and binary records into it until stopped."""

import json
import os
import random
import sys
import time
import uuid

import boto3

endpoint, stream, shards = sys.argv[1], sys.argv[2], int(sys.argv[3])
kinesis = boto3.client(
    "kinesis",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="demo",
    aws_secret_access_key="demo",
)

if stream not in kinesis.list_streams()["StreamNames"]:
    kinesis.create_stream(StreamName=stream, ShardCount=shards)
while kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
    time.sleep(0.1)
print(f"demo: stream '{stream}' ready with {shards} shards; putting records", file=sys.stderr, flush=True)

users = [f"user-{n}" for n in range(12)]
paths = ["/", "/cart", "/checkout", "/search?q=kinesis", "/product/42"]
seq = 0
while True:
    batch = []
    for _ in range(random.randint(3, 12)):
        seq += 1
        user = random.choice(users)
        kind = random.random()
        if kind < 0.6:
            data = json.dumps(
                {
                    "seq": seq,
                    "event": random.choice(["page_view", "click", "purchase"]),
                    "user": user,
                    "path": random.choice(paths),
                    "amount": round(random.uniform(1, 250), 2),
                    "id": str(uuid.uuid4()),
                }
            ).encode()
        elif kind < 0.9:
            data = f"{time.strftime('%H:%M:%S')} INFO request {seq} served for {user} in {random.randint(2, 900)}ms".encode()
        else:
            data = b"\x1f\x8b\x08\x00" + os.urandom(random.randint(8, 64))
        batch.append({"Data": data, "PartitionKey": user})
    kinesis.put_records(StreamName=stream, Records=batch)
    time.sleep(random.uniform(0.2, 0.8))
