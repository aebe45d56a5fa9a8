"""The client address every lockout, throttle and audit row uses."""

import json
import os
import subprocess
import sys

import pytest
from django.test import RequestFactory

from lifecert.core.audit import client_ip

SPOOFED = "1.2.3.4"
CLIENT = "203.0.113.50"


def test_by_default_only_remote_addr_counts():
    request = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=SPOOFED
    )
    assert client_ip(request) == "198.51.100.1"


_PROBE = """
import json, django
django.setup()
from django.test import RequestFactory
from lifecert.core.audit import client_ip
rf = RequestFactory()
out = {}
for name, xff in json.loads(CASES).items():
    out[name] = client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=xff))
print(json.dumps(out))
"""


@pytest.mark.parametrize(
    ("proxies", "cases"),
    [
        # nginx appends the address it saw; the client may have sent anything.
        (1, {"plain": CLIENT, "forged": f"{SPOOFED}, {CLIENT}"}),
        # two proxies: the inner one appends the outer one's address too.
        (
            2,
            {
                "plain": f"{CLIENT}, 10.0.0.3",
                "forged": f"{SPOOFED}, {CLIENT}, 10.0.0.3",
            },
        ),
    ],
)
def test_trusted_proxy_count_reads_the_address_our_outer_proxy_saw(proxies, cases):
    env = {
        **os.environ,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "lifecert.settings",
        "TRUSTED_PROXY_COUNT": str(proxies),
    }
    probe = _PROBE.replace("CASES", repr(json.dumps(cases)))
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {"plain": CLIENT, "forged": CLIENT}
