"""Feed secrets: unguessable, stored only as a hash, compared in constant time.

A subscription URL is ``/feeds/<public id>/<secret>.ics``. The public id (64 random
bits) finds the subscription; the secret (256 bits, derived from the partnership's feed
key, see :func:`derive_secret`) proves the right to read it. Only SHA-256 of the secret
is stored: with that much entropy a fast hash is enough, and a stolen database does not
give anyone a working URL.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: Compared against when the public id is unknown, so both failures take the same time.
_DUMMY_HASH = hashlib.sha256(b"qaframework-no-such-feed").hexdigest()


def new_public_id() -> str:
    return secrets.token_hex(8)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    """Constant-time check of a presented secret against a stored hash (or none)."""
    ok = hmac.compare_digest(hash_secret(secret), stored_hash or _DUMMY_HASH)
    return ok and stored_hash is not None


def derive_secret(key: bytes, public_id: str) -> str:
    """The secret of a subscription, derived from the partnership's feed key.

    Deriving (HMAC-SHA256 of the public id under a 256-bit key) rather than storing lets
    reminder emails carry an agency's feed URL while the database holds only a hash: the
    database alone gives no working URL, and revoking a subscription ends its URL.
    """
    import base64

    digest = hmac.new(key, public_id.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
