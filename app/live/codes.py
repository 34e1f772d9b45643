"""Join codes, teacher tokens and the validator of a class's state (a URL query string).

Codes are 8 symbols from a 31-symbol alphabet without look-alikes (no 0/O, 1/I/L), so a
student can read one off a projector: 31⁸ ≈ 8.5 × 10¹¹ codes. Someone guessing gets at most
20 unknown codes per minute per address (``Limits.misses_per_min``; an IPv6 /64 counts as
one), so one address tries 3 600 codes in a class's 3-hour idle lifetime: with 1 000 classes live at
once that finds one with probability 3 600 × 1 000 / 8.5 × 10¹¹ ≈ 4 × 10⁻⁶ (≈ 4 × 10⁻³ for a
thousand addresses). A code lets its holder follow a class and submit results, never control
it: that takes the teacher token.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: digits and letters without 0 O 1 I L
CODE_LENGTH = 8
_CODE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")

# The state of a class: the explorer's URL query (without "?"): key=value pairs joined by "&".
MAX_QUERY_CHARS = 2048
MAX_QUERY_PAIRS = 64
MAX_KEY_CHARS = 32
_KEY = re.compile(r"^[A-Za-z0-9_]+$")
# A value: unreserved characters, percent escapes and the sub-delimiters a query keeps as
# they are (the explorer writes "fn=elu(alpha=0.5),relu"; "=" inside a value is allowed).
_VALUE = re.compile(r"^(?:[A-Za-z0-9\-._~!$'()*+,;:@/?=]|%[0-9A-Fa-f]{2})*$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The canonical code for what a person typed ("abcd-efgh", "ABCD EFGH"), or None."""
    code = text.replace("-", "").replace(" ", "").upper()
    return code if _CODE.match(code) else None


def display_code(code: str) -> str:
    """Two groups of four, easier to read aloud: "ABCD-EFGH"."""
    return f"{code[:4]}-{code[4:]}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a teacher token (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored_hash)


def client_key(host: str | None, salt: bytes) -> str:
    """A rate-limit key for a client address: salted and hashed (no address is stored), and
    an IPv6 address counts by its /64, which one host or household usually has whole."""
    text = host or "unknown"
    try:
        addr = ipaddress.ip_address(text)
        if addr.version == 6:
            text = str(ipaddress.ip_network(f"{addr}/64", strict=False))
    except ValueError:
        pass
    return hashlib.blake2b(text.encode(), key=salt[:64], digest_size=12).hexdigest()


def validate_query(text: str) -> str:
    """The class state, checked: the explorer's URL query string ("fn=relu&view=network").

    One leading "?" is dropped. Raises ValueError with a message for the person who sent it.
    This is the one place to swap in the app's own vocabulary of keys later.
    """
    query = text[1:] if text.startswith("?") else text
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"must be at most {MAX_QUERY_CHARS} characters (got {len(query)})")
    if not query:
        return query
    if any(not (32 < ord(c) < 127) for c in query):
        raise ValueError("must be printable ASCII without spaces (percent-encode anything else)")
    pairs = query.split("&")
    if len(pairs) > MAX_QUERY_PAIRS:
        raise ValueError(f"must have at most {MAX_QUERY_PAIRS} key=value pairs (got {len(pairs)})")
    for pair in pairs:
        key, eq, value = pair.partition("=")
        shown = pair if len(pair) <= 40 else pair[:39] + "…"
        if not eq or not _KEY.match(key) or len(key) > MAX_KEY_CHARS:
            raise ValueError(f"every part must be key=value with a key of 1–{MAX_KEY_CHARS} letters, digits or _ (got {shown!r})")
        if not _VALUE.match(value):
            raise ValueError(f"the value of {key!r} has a character a URL query cannot carry as is (got {shown!r}; percent-encode it)")
    return query
