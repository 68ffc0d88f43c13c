#!/usr/bin/env python3
"""Time the vendor's Python SDK opening tickets, for `cargo xtask bench`.

Drives the official ``huaweicloudsdkosm`` v2 ``OsmClient`` (``huaweicloudsdkcore``
underneath, ``requests`` on the wire) against a running emulator, signing with AK/SK
as that SDK always does. The ticket is the one the Rust side of the benchmark opens
(``benches/common/mod.rs``): problem type 5 in ap-southeast-3, severity 2, a mail
address to remind, two attachments, ``X-Site: 1``.

Two modes, each printing one JSON object on standard output:

``--calls N [--warmup W]``
    one client, W untimed calls, then N timed calls one after another:
    ``{"samples_us": [...], "median_us": ...}``. The client keeps its connection
    alive between calls (``requests`` session pool), as ours does.
``--cpu --calls N [--warmup W]``
    the same loop, timed by the OS instead: user and system CPU time of this process
    (``getrusage``) over the N calls, per call: ``{"cpu_us_per_call": ..., ...}``.
``--oneshot``
    what a one-off script does: import the SDK, build a client, open one ticket,
    exit: ``{"incident_id": "..."}``. The caller times the whole process.

Importing the SDK writes ``~/.huaweicloud/application_id`` once; the caller should
point ``HOME`` at a scratch directory (``cargo xtask bench`` uses
``target/bench/python-home``).

Install: ``pip install huaweicloudsdkcore huaweicloudsdkosm`` (``cargo xtask bench``
creates ``target/venv-bench`` with both).
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

for _var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from huaweicloudsdkcore.auth.credentials import GlobalCredentials  # noqa: E402
from huaweicloudsdkosm.v2 import (  # noqa: E402
    CreateCasesRequest,
    CreateOrderIncidentV2Req,
    OsmClient,
)

SOURCE_ID = "83aeb0f2834c4df49826c781d32a963e"


def new_client(endpoint, ak, sk):
    # No region: with_endpoints() alone avoids any IAM or region lookup.
    return (OsmClient.new_builder()
            .with_credentials(GlobalCredentials(ak, sk))
            .with_endpoints([endpoint])
            .build())


def request():
    body = CreateOrderIncidentV2Req(
        business_type_id="5",
        simple_description="ECS instance ecs-01 in ap-southeast-3 stopped answering on port 443 after a resize",
        source_id=SOURCE_ID,
        region_id="ap-southeast-3",
        severity_id="2",
        remind_mail="ops@example.com",
        accessory_ids=["att-1", "att-2"],
    )
    return CreateCasesRequest(body=body, x_site=1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--ak", required=True)
    p.add_argument("--sk", required=True)
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--oneshot", action="store_true")
    p.add_argument("--cpu", action="store_true")
    a = p.parse_args()

    client = new_client(a.endpoint, a.ak, a.sk)
    if a.oneshot:
        resp = client.create_cases(request())
        if not resp.incident_id:
            sys.exit("no incident_id in the answer")
        print(json.dumps({"incident_id": resp.incident_id}))
        return

    for _ in range(a.warmup):
        client.create_cases(request())
    if a.cpu:
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter_ns()
        for _ in range(a.calls):
            if not client.create_cases(request()).incident_id:
                sys.exit("no incident_id in the answer")
        r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter_ns()
        user = (r1.ru_utime - r0.ru_utime) * 1e6 / a.calls
        system = (r1.ru_stime - r0.ru_stime) * 1e6 / a.calls
        print(json.dumps({
            "mode": "cpu",
            "side": "python_sdk",
            "calls": a.calls,
            "cpu_us_per_call": user + system,
            "user_us_per_call": user,
            "sys_us_per_call": system,
            "wall_us_per_call": (t1 - t0) / 1000.0 / a.calls,
        }))
        return
    samples = []
    for _ in range(a.calls):
        t0 = time.perf_counter_ns()
        resp = client.create_cases(request())
        samples.append((time.perf_counter_ns() - t0) / 1000.0)
        if not resp.incident_id:
            sys.exit("no incident_id in the answer")
    print(json.dumps({"samples_us": samples, "median_us": statistics.median(samples)}))


if __name__ == "__main__":
    main()
