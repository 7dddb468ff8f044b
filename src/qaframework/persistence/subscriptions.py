"""Issuing, finding and revoking private feed subscriptions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from qaframework.errors import QAFrameworkError, excerpt
from qaframework.feeds.secrets import derive_secret, hash_secret, new_public_id, secret_matches
from qaframework.persistence.repository import audit
from qaframework.persistence.tables import FeedSubscription, utc_now


class UnknownSubscriptionError(QAFrameworkError):
    """No feed subscription has that id."""


@dataclass(frozen=True)
class IssuedFeed:
    public_id: str
    secret: str
    scope: str

    @property
    def path(self) -> str:
        return f"/feeds/{self.public_id}/{self.secret}.ics"


def issue_subscription(*, session: Session, scope: str, label: str, actor: str, key: bytes) -> IssuedFeed:
    public_id = new_public_id()
    secret = derive_secret(key, public_id)
    session.add(FeedSubscription(public_id=public_id, scope=scope, secret_hash=hash_secret(secret), label=label))
    audit(session=session, actor=actor, action="feed-issued", subject=public_id, detail={"scope": scope})
    return IssuedFeed(public_id, secret, scope)


def revoke_subscription(*, session: Session, public_id: str, actor: str) -> str:
    """Withdraw a subscription; returns its scope. Revoking twice is harmless."""
    row = session.execute(select(FeedSubscription).where(FeedSubscription.public_id == public_id)).scalar_one_or_none()
    if row is None:
        raise UnknownSubscriptionError(f"no feed subscription {excerpt(public_id)}: see qaf feeds list")
    if row.revoked_at is None:
        session.execute(update(FeedSubscription).where(FeedSubscription.id == row.id).values(revoked_at=utc_now()))
        audit(session=session, actor=actor, action="feed-revoked", subject=public_id, detail={"scope": row.scope})
    return row.scope


def scope_for(*, session: Session, public_id: str, secret: str) -> str | None:
    """The scope a presented URL may read, or None (unknown, wrong secret or revoked)."""
    row = session.execute(select(FeedSubscription).where(FeedSubscription.public_id == public_id)).scalar_one_or_none()
    matches = secret_matches(secret, row.secret_hash if row else None)
    if not matches or row is None or row.revoked_at is not None:
        return None
    return row.scope


@dataclass(frozen=True)
class SubscriptionListing:
    public_id: str
    scope: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


def list_subscriptions(*, session: Session) -> list[SubscriptionListing]:
    rows = session.execute(select(FeedSubscription).order_by(FeedSubscription.created_at)).scalars()
    return [SubscriptionListing(r.public_id, r.scope, r.label, r.created_at, r.revoked_at) for r in rows]


def current_feed_paths(*, session: Session, scopes: Iterable[str], key: bytes) -> dict[str, str]:
    """The path of the newest active subscription of each scope that has one, read in
    one query (the outbox's run reads every agency's and body's)."""
    wanted = set(scopes)
    rows = session.execute(
        select(FeedSubscription.public_id, FeedSubscription.scope)
        .where(FeedSubscription.revoked_at.is_(None))  # type: ignore[union-attr]
        .order_by(FeedSubscription.created_at.desc(), FeedSubscription.id.desc())  # type: ignore[attr-defined,union-attr]
    ).all()
    paths: dict[str, str] = {}
    for public_id, scope in rows:
        if scope in wanted and scope not in paths:  # the newest first
            paths[scope] = IssuedFeed(public_id, derive_secret(key, public_id), scope).path
    return paths
