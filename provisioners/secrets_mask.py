"""Masking secrets in device configurations before they are stored or shown (pure).

Backups, drift reports and transaction journals keep configurations; none may keep a password,
an SNMP community or a key. Masked values become ``<masked:XXXXXXXX>`` where X is a short
digest, so two backups still show *that* a secret changed without showing it.
"""

from __future__ import annotations

import hashlib
import re

from lxml import etree

from provisioners.diff import xml as xml_diff

# CLI: the value after these keywords, up to the end of the token.
_CLI_PATTERNS = [
    re.compile(r"(?P<pre>\b(?:secret|password)\s+(?:\d+\s+|sha512\s+|md5\s+)?)(?P<val>\S+)"),
    re.compile(r"(?P<pre>\bsnmp-server community\s+)(?P<val>\S+)"),
    re.compile(r"(?P<pre>\bsnmp-server user\s+\S+\s+\S+\s+\S+\s+auth\s+\S+\s+)(?P<val>\S+)"),
    re.compile(r"(?P<pre>\bpriv\s+\S+\s+)(?P<val>\S+)"),
    re.compile(
        r"(?P<pre>\b(?:key-string|pre-shared-key|authentication-key|auth-key|priv-key)\s+(?:\d+\s+)?)(?P<val>\S+)"
    ),
    re.compile(r"(?P<pre>\bkey\s+\d+\s+)(?P<val>\S+)"),
]
# NETCONF: leaves whose text is a secret, by local name; and list entries whose key is one.
_XML_SECRET_LEAVES = {
    "password",
    "secret",
    "auth-key",
    "priv-key",
    "key",
    "pre-shared-key",
    "community-string",
}
_XML_SECRET_KEYED = {"community": "name"}


def _token(value: str) -> str:
    return f"<masked:{hashlib.sha256(value.encode()).hexdigest()[:8]}>"


def mask_cli(text: str) -> str:
    out = []
    for line in text.splitlines():
        if line.strip().startswith(("description ", "!")):
            out.append(line)  # free text, not a keyword: "description secret lab" is no secret
            continue
        for rx in _CLI_PATTERNS:
            line = rx.sub(
                lambda m: (
                    m.group("pre")
                    + (m.group("val") if m.group("val").startswith("<masked:") else _token(m.group("val")))
                ),
                line,
            )
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def mask_xml(text: str) -> str:
    root = xml_diff.parse(text)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        if name in _XML_SECRET_LEAVES and len(el) == 0 and el.text:
            el.text = _token(el.text.strip())
        keyed = _XML_SECRET_KEYED.get(name)
        if keyed:
            for child in el:
                if isinstance(child.tag, str) and etree.QName(child).localname == keyed and child.text:
                    child.text = _token(child.text.strip())
    return (
        "\n".join(
            etree.tostring(c, pretty_print=True).decode().rstrip() for c in root if isinstance(c.tag, str)
        )
        + "\n"
    )


def mask(fmt: str, text: str) -> str:
    return mask_xml(text) if fmt == "netconf" else mask_cli(text)


_XML_LEAF_RX = re.compile(
    r"<(?P<tag>(?:[\w-]+:)?(?:" + "|".join(sorted(_XML_SECRET_LEAVES)) + r"))>(?P<val>[^<]*)</(?P=tag)>"
)
_XML_COMMUNITY_RX = re.compile(r"(<community>\s*<name>)(?P<val>[^<]*)(</name>)")


def mask_diff(text: str) -> str:
    """Mask a unified diff of either format, line by line (it is not a document to parse)."""
    text = mask_cli(text)
    text = _XML_LEAF_RX.sub(lambda m: f"<{m.group('tag')}>{_token(m.group('val'))}</{m.group('tag')}>", text)
    return _XML_COMMUNITY_RX.sub(lambda m: m.group(1) + _token(m.group("val")) + m.group(3), text)
