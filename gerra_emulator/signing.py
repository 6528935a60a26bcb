"""Signed download URLs: an HMAC token over dataset id, storage link, expiry and a nonce."""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

DEFAULT_URL_LIFETIME_S = 3600.0


class TokenState(enum.Enum):
    """Outcome of checking a download token."""

    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True)
class TokenCheck:
    """A checked token; `dataset_id` is set when the token is valid or expired."""

    state: TokenState
    dataset_id: str | None = None


@dataclass(frozen=True)
class TokenClaims:
    """The unverified content of a token, for routing and fault targeting only."""

    dataset_id: str
    expires_at: int
    nonce: str


class UrlSigner:
    """Mint and verify download tokens with a per-process secret key.

    A token is ``<base64url claims>.<hex HMAC-SHA256>``. The MAC covers the
    dataset id, the storage link, the expiry and a random nonce. So a token
    minted for one dataset cannot fetch another dataset's file, and every
    call mints a different URL.
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def mint(self, dataset_id: str, link: str, expires_at: int) -> str:
        """Return a token for `link` that expires at `expires_at` (Unix seconds)."""
        nonce = secrets.token_hex(8)
        claims = json.dumps({"d": dataset_id, "e": expires_at, "n": nonce}, separators=(",", ":")).encode()
        encoded = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
        return f"{encoded}.{self._mac(dataset_id, link, expires_at, nonce)}"

    def verify(self, token: str, link: str, now: float) -> TokenCheck:
        """Check `token` against the requested `link` at time `now` (Unix seconds).

        The signature is checked before the expiry, so a tampered token is
        reported as invalid even when its claimed expiry has passed.
        """
        claims = read_claims(token)
        if claims is None:
            return TokenCheck(TokenState.INVALID)
        mac = token.rpartition(".")[2]
        expected = self._mac(claims.dataset_id, link, claims.expires_at, claims.nonce)
        if not hmac.compare_digest(mac, expected):
            return TokenCheck(TokenState.INVALID)
        if now >= claims.expires_at:
            return TokenCheck(TokenState.EXPIRED, claims.dataset_id)
        return TokenCheck(TokenState.VALID, claims.dataset_id)

    def _mac(self, dataset_id: str, link: str, expires_at: int, nonce: str) -> str:
        message = f"{dataset_id}\n{link}\n{expires_at}\n{nonce}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def read_claims(token: str) -> TokenClaims | None:
    """Decode a token's claims without checking its signature; None when malformed."""
    encoded, dot, _mac = token.partition(".")
    if not dot:
        return None
    try:
        padded = encoded + "=" * (-len(encoded) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        return TokenClaims(str(claims["d"]), int(claims["e"]), str(claims["n"]))
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeEncodeError):
        return None
