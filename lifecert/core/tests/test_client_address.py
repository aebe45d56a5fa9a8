"""The client address every lockout, throttle and audit row uses."""

import json
import os
import subprocess
import sys

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory

from lifecert.core.audit import client_ip, counted_address

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


@pytest.mark.parametrize(
    ("address", "counted"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:5:9:abcd:1:2:3", "2001:db8:5:9::"),
        ("2001:DB8:5:9::1", "2001:db8:5:9::"),
        ("::ffff:203.0.113.9", "203.0.113.9"),  # an IPv4 caller, as IPv6 writes it
        (None, None),
        ("", None),
        ("not-an-address", "not-an-address"),
    ],
)
def test_an_ipv6_caller_is_counted_by_its_network(address, counted):
    assert counted_address(address) == counted


def test_the_network_size_is_a_setting(settings):
    settings.THROTTLE_IPV6_PREFIX = 48
    assert counted_address("2001:db8:5:9::1") == "2001:db8:5::"


def test_axes_counts_the_network_and_the_audit_log_keeps_the_address():
    request = RequestFactory().get("/", REMOTE_ADDR="2001:db8:5:9::7")
    assert client_ip(request) == "2001:db8:5:9::7"
    assert get_client_ip_address(request) == "2001:db8:5:9::"
