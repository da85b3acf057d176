"""Per-value evidence for the bot labeller: what a user agent or an IP address says.

Both work on the distinct values of a batch (a mailing has few user agents, and IPs repeat),
so the cost of ``ua-parser`` and of network lookups grows with the variety of values, not
with the number of activities.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Apple's Mail Privacy Protection proxy fetches images with exactly this user agent.
GENERIC_UA = "Mozilla/5.0"
_IPV4 = r"^(?P<a>\d{1,3})\.(?P<b>\d{1,3})\.(?P<c>\d{1,3})\.(?P<d>\d{1,3})$"


@dataclass(frozen=True)
class AgentKind:
    """What one user-agent string reveals."""

    generic: bool = False  # the bare "Mozilla/5.0" of Apple's proxy
    gmail_proxy: bool = False  # Google's image proxy (GoogleImageProxy)
    automated: bool = False  # a crawler, HTTP library, headless browser or scanner product


@lru_cache(maxsize=65536)
def agent_kind(ua: str, automation_families: frozenset[str], tokens: tuple[str, ...]) -> AgentKind:
    """Classify one user-agent string with ua-parser plus configured scanner tokens."""
    from ua_parser import parse  # its rule tables take ~0.5 s to load: only when classifying

    text = ua.strip()
    if text == GENERIC_UA:
        return AgentKind(generic=True)
    result = parse(text)
    family = result.user_agent.family if result.user_agent else ""
    if family == "GmailImageProxy" or "googleimageproxy" in text.lower():
        return AgentKind(gmail_proxy=True)
    spider = result.device is not None and result.device.family == "Spider"
    lowered = text.lower()
    token = any(t in lowered for t in tokens)
    return AgentKind(automated=spider or family in automation_families or token)


def agent_flags(
    agents: pa.Array | pa.ChunkedArray, automation_families: frozenset[str], tokens: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(generic, gmail_proxy, automated) per row of a string array (null: all false)."""
    n = len(agents)
    if n == 0:
        return np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    encoded = pc.dictionary_encode(_whole(agents))
    lowered = tuple(t.lower() for t in tokens)
    kinds = [agent_kind(v, automation_families, lowered) for v in encoded.dictionary.to_pylist()]
    table = np.array(
        [(k.generic, k.gmail_proxy, k.automated) for k in kinds] or [(False, False, False)], bool
    )
    idx = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    out = np.where(idx[:, None] >= 0, table[np.maximum(idx, 0)], False)
    return out[:, 0], out[:, 1], out[:, 2]


def in_networks(ips: pa.Array | pa.ChunkedArray, networks: tuple[str, ...]) -> np.ndarray:
    """True per row whose IP address lies in one of the CIDR networks (null: false)."""
    n = len(ips)
    if n == 0 or not networks:
        return np.zeros(n, bool)
    encoded = pc.dictionary_encode(_whole(ips))
    values = encoded.dictionary
    hits = _ipv4_hits(values, [ipaddress.ip_network(x, strict=False) for x in networks])
    idx = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return np.where(idx >= 0, hits[np.maximum(idx, 0)] if len(hits) else False, False)


def _ipv4_hits(
    values: pa.Array, nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> np.ndarray:
    # IPv4 (nearly all values) is checked with integer masks; the rest one by one.
    parts = pc.extract_regex(values, _IPV4)
    valid = parts.is_valid().to_numpy(zero_copy_only=False)
    octets = [
        pc.cast(pc.if_else(parts.is_valid(), parts.field(k), "0"), pa.int64()).to_numpy(
            zero_copy_only=False
        )
        for k in "abcd"
    ]
    valid &= np.all([o <= 255 for o in octets], axis=0)
    addr = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
    hits = np.zeros(len(values), bool)
    for net in nets:
        if net.version == 4:
            mask = int(net.netmask)
            hits |= valid & ((addr & mask) == int(net.network_address))
    for i in np.flatnonzero(~valid):
        hits[i] = _other_hit(values[i].as_py(), tuple(str(n) for n in nets))
    return hits


@lru_cache(maxsize=65536)
def _other_hit(value: str | None, networks: tuple[str, ...]) -> bool:
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n) for n in networks)


def _whole(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
