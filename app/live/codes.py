"""Join codes, teacher tokens and the validator of a class's state (a URL query string).

A class's state is what the teacher's page shows, in the app's own link vocabulary: the
explorer's settings (``app.api.meta.STATE``, read by the links' rule), or a lesson's —
``page=lessons/<slug>`` with that lesson's controls, ``present`` and ``step`` — plus the
theme. A setting the page would have to correct (out of range, unknown, not a choice) is
refused, so every student's page shows exactly what the teacher's shows.

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
from typing import Any
from urllib.parse import unquote_plus

from app.core import lessons
from app.core import spec as specs
from app.core.errors import CoreError

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: digits and letters without 0 O 1 I L
CODE_LENGTH = 8
_CODE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")
_SYMBOLS = frozenset(ALPHABET)

# The state of a class: the explorer's URL query (without "?"): key=value pairs joined by "&".
MAX_QUERY_CHARS = 2048
MAX_QUERY_PAIRS = 64
MAX_KEY_CHARS = 32
_KEY = re.compile(r"^[A-Za-z0-9_]+$")
# A value: unreserved characters, percent escapes and the characters the pages' links keep
# as they are (static/js/lib/url.js writes "fn=elu(alpha=0.5),relu" and "[formula]" as such).
_VALUE = re.compile(r"^(?:[A-Za-z0-9\-._~!$'()*+,;:@/?=\[\]]|%[0-9A-Fa-f]{2})*$")
LESSON_PAGE = "lessons/"  # page=lessons/<slug>: the teacher is on a lesson (no page: the explorer)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The canonical code for what a person typed ("abcd-efgh", "ABCD EFGH"), or None."""
    code = text.replace("-", "").replace(" ", "").upper()
    return code if _CODE.match(code) else None


def code_problem(text: str) -> tuple[str, str | None] | None:
    """Why what a person typed cannot be a code, in words, and the first character that is
    never in one (as typed; None when only the length is wrong); None when it can be a code."""
    shown = repr(text if len(text) <= 40 else text[:39] + "…")
    for c in text:
        if c not in "- " and c.upper() not in _SYMBOLS:
            why = "0, O, 1, I and L are left out: they look alike" if c.upper() in "01ILO" else "only digits and letters"
            return f"{shown} cannot be a class code: no code has {c!r} ({why}); check the code with the teacher", c
    n = len(text.replace("-", "").replace(" ", ""))
    if n != CODE_LENGTH:
        return f"{shown} cannot be a class code: a code has {CODE_LENGTH} letters and digits, this has {n}; check the code with the teacher", None
    return None


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
    """The class state, checked: the page's URL query string ("fn=relu&view=network", or
    "page=lessons/dying-relu&present=1&step=3&leak=0.1").

    One leading "?" is dropped. Raises ValueError with a message for the person who sent it.
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
    settings: dict[str, str] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        shown = pair if len(pair) <= 40 else pair[:39] + "…"
        if not eq or not _KEY.match(key) or len(key) > MAX_KEY_CHARS:
            raise ValueError(f"every part must be key=value with a key of 1–{MAX_KEY_CHARS} letters, digits or _ (got {shown!r})")
        if not _VALUE.match(value):
            raise ValueError(f"the value of {key!r} has a character a URL query cannot carry as is (got {shown!r}; percent-encode it)")
        if key in settings:
            raise ValueError(f"{key!r} is given more than once")
        settings[key] = unquote_plus(value)
    _check_vocabulary(settings)
    return query


def _check_vocabulary(settings: dict[str, str]) -> None:
    """Only the settings the explorer or the lesson named by ``page`` shows, each as the page
    would keep it."""
    from app.api import lessons as lesson_pages  # imported here: both import app.api.classes, which imports this module
    from app.api import meta

    page = settings.pop("page", None)
    if page is None:
        unknown = [k for k in settings if k not in meta.STATE]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a setting of the explorer (a lesson's state starts with page={LESSON_PAGE}<slug>)")
        state, notes = meta.read_link(settings, {k: meta.STATE[k] for k in settings})
        for key, cap in (("fn", meta.MAX_CURVES), ("act", meta.MAX_COMPARE)):
            if key in state:
                notes += [{**n, "key": key} for n in specs.sanitise(state[key], cap)[1]]
        if notes:
            raise ValueError(_note_text(notes[0], settings, meta.STATE))
        return
    slug = page[len(LESSON_PAGE):] if page.startswith(LESSON_PAGE) else None
    lesson = lessons.BY_SLUG.get(slug or "")
    if lesson is None:
        raise ValueError(f"page must be {LESSON_PAGE}<slug> of a lesson (got {page[:60]!r})")
    controls = {c.id: c for c in lesson.controls}
    steps = lesson_pages.steps(lesson)
    for key, value in settings.items():
        if key in controls:
            try:
                controls[key].check(value)
            except CoreError as e:
                raise ValueError(str(e)) from None
        elif key == "step":
            if not (value.isdigit() and 1 <= int(value) <= steps):
                raise ValueError(f"step must be a whole number from 1 to {steps} for lesson {slug!r} (got {value[:20]!r})")
        elif key == "present":
            if value not in ("0", "1", "true", "false"):
                raise ValueError(f"present must be 0 or 1 (got {value[:20]!r})")
        elif key == "theme":
            if value not in meta.THEMES:
                raise ValueError(f"theme must be one of {', '.join(meta.THEMES)} (got {value[:20]!r})")
        else:
            known = ", ".join([*controls, "present", "step", "theme"])
            raise ValueError(f"{key!r} is not a setting of lesson {slug!r} (its settings: {known})")


def _note_text(note: dict[str, Any], settings: dict[str, str], fields: dict[str, dict[str, Any]]) -> str:
    """What the links' rule would have changed, in words (the first such change)."""
    key = note["key"]
    given = settings.get(key, "")[:40]
    if note.get("min") is not None and note["code"] in ("out_of_range", "not_whole") and "activation" not in note:
        return f"{key}={given!r} must be {'a whole number' if fields[key]['type'] == 'int' else 'a number'} from {note['min']:g} to {note['max']:g}"
    if "choices" in note and "activation" not in note:
        return f"{key}={given!r} must be one of {', '.join(map(str, note['choices']))}"
    what = note["code"].replace("_", " ")
    about = ", ".join(f"{k} {v!r}" for k, v in note.items() if k in ("activation", "name", "param", "given", "max"))
    return f"{key}={given!r} cannot be shown as written: {what}{f' ({about})' if about else ''}"
