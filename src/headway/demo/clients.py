"""Who opens and clicks: mail clients, browsers, privacy proxies and link scanners.

User agents and IP networks are modelled on what real senders see: Apple Mail Privacy
Protection fetches through Apple's 17.0.0.0/8 with a bare ``Mozilla/5.0``; Gmail through
Google's image proxy; security gateways from their own networks, often with a browser-like
user agent, sometimes with a HEAD request.
"""

from __future__ import annotations

import ipaddress

import numpy as np

USER_AGENTS = (
    "Mozilla/5.0",  # 0: Apple Mail Privacy Protection
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    # 2-5: human mail clients (opens)
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.9.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36",
    # 6-9: human browsers (clicks)
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    # 10-14: link scanners
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/91.0.4472.124 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (compatible; Mimecast-URL-Protect/1.0)",
    "Barracuda Sentinel (EE)",
    "python-requests/2.31.0",
)
UA_MPP, UA_GMAIL_PROXY = 0, 1
UA_MAIL_CLIENTS = np.array([2, 3, 4, 5])
UA_APPLE_BROWSER, UA_BROWSERS = 6, np.array([6, 7, 8, 9])


def _net(cidr: str) -> tuple[int, int]:
    net = ipaddress.IPv4Network(cidr)
    return int(net.network_address), net.num_addresses


APPLE_RELAY = _net("17.0.0.0/8")
GOOGLE_PROXY = _net("66.249.80.0/20")

# vendor: (user agent index, network)
SCANNERS = (
    ("safe-links", 10, _net("40.94.0.0/16")),
    ("proofpoint", 11, _net("148.163.128.0/19")),
    ("mimecast", 12, _net("205.139.110.0/24")),
    ("barracuda", 13, _net("209.222.80.0/21")),
    ("cloud-scanner", 14, _net("34.64.0.0/10")),
    # A gateway on rented cloud servers with a current browser's user agent: only its
    # timing and its bursts give it away.
    ("cloud-gateway", 8, _net("3.208.0.0/12")),
)
SCANNER_WEIGHTS = (0.35, 0.2, 0.15, 0.1, 0.1, 0.1)
SCANNER_UA = np.array([s[1] for s in SCANNERS])
SCANNER_BASE = np.array([s[2][0] for s in SCANNERS], dtype=np.int64)
SCANNER_SIZE = np.array([s[2][1] for s in SCANNERS], dtype=np.int64)

# First octets of residential and office networks for human visitors.
HOME_OCTETS = np.array([24, 46, 62, 73, 77, 81, 86, 92, 98, 108, 151, 176, 185, 188, 212, 213])


def in_network(rng: np.random.Generator, net: tuple[int, int], n: int) -> np.ndarray:
    """``n`` random addresses (as integers) inside a network."""
    return net[0] + rng.integers(0, net[1], n, dtype=np.int64)


def home_ips(rng: np.random.Generator, n: int) -> np.ndarray:
    """One residential or office address per contact."""
    first = rng.choice(HOME_OCTETS, n).astype(np.int64)
    return (first << 24) + rng.integers(1, 1 << 24, n, dtype=np.int64)
