"""The calendar link a digest carries: the newest subscription of its recipient's scope
that is not revoked, read for every scope at once, on both databases."""

from __future__ import annotations

from qaframework.persistence.database import transaction
from qaframework.persistence.subscriptions import current_feed_paths, issue_subscription, revoke_subscription

KEY = b"k" * 32


def test_each_scope_gets_its_newest_subscription_not_revoked(database_url: str) -> None:
    with transaction(database_url) as session:
        older = issue_subscription(session=session, scope="agency:a", label="first", actor="test", key=KEY)
    with transaction(database_url) as session:
        newer = issue_subscription(session=session, scope="agency:a", label="second", actor="test", key=KEY)
        kept = issue_subscription(session=session, scope="agency:b", label="kept", actor="test", key=KEY)
    with transaction(database_url) as session:
        withdrawn = issue_subscription(session=session, scope="agency:b", label="withdrawn", actor="test", key=KEY)
        only = issue_subscription(session=session, scope="body:c", label="only", actor="test", key=KEY)
        issue_subscription(session=session, scope="agency:not-asked-for", label="other", actor="test", key=KEY)
    with transaction(database_url) as session:
        revoke_subscription(session=session, public_id=withdrawn.public_id, actor="test")
        revoke_subscription(session=session, public_id=only.public_id, actor="test")
    with transaction(database_url) as session:
        paths = current_feed_paths(session=session, scopes=["agency:a", "agency:b", "body:c", "agency:none"], key=KEY)
    assert paths == {"agency:a": newer.path, "agency:b": kept.path}
    assert older.path != newer.path
