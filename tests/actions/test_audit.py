"""``qaf audit``: who, when and what, filtered by the partnership's local day and by
reference (the subject itself, a task or stage of it, or an entry whose detail names it)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from qaframework.framework import Framework
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.tables import AuditLogEntry
from tests.actions.conftest import Qaf


def _entries(url: str) -> None:
    prepare(url)
    rows = [
        # 23:30 on 31 March in London (BST starts 28 March 2027).
        (datetime(2027, 3, 31, 22, 30, tzinfo=timezone.utc), "qaf-cli", "action-added", "A-2027-0001", {"owner": "police"}),
        # 00:30 on 1 April in London.
        (datetime(2027, 3, 31, 23, 30, tzinfo=timezone.utc), "prefect:evaluate-action:1234", "action-evaluated", "A-2027-0001", {"judgement": "evidenced"}),
        (datetime(2027, 4, 2, 9, 0, tzinfo=timezone.utc), "business-unit", "task-done", "action/A-2027-0001/police", {}),
        (datetime(2027, 4, 2, 9, 5, tzinfo=timezone.utc), "qaf-cli", "finding-added", "F-2027-0003", {"action": "A-2027-0001"}),
        (datetime(2027, 4, 3, 9, 0, tzinfo=timezone.utc), "qaf-cli", "risk-rated", "F-2027-0004", {"score": 13}),
        (datetime(2027, 4, 3, 9, 1, tzinfo=timezone.utc), "qaf-cli", "action-added", "A-2027-00011", {"note": "A-2027-0001x"}),
    ]
    with transaction(url) as session:
        for at, actor, action, subject, detail in rows:
            session.add(AuditLogEntry(at=at, actor=actor, action=action, subject=subject, detail=json.dumps(detail)))


def test_audit_filters_by_local_day_and_reference(database_url: str, partnership: Framework, cli: Qaf) -> None:
    _entries(database_url)
    code, out, err = cli("audit", "--json")
    assert code == 0, err
    everything = json.loads(out)
    assert len(everything) == 6 and set(everything[0]) == {"at", "actor", "action", "subject", "detail"}
    assert everything[0]["at"] == "2027-03-31T23:30:00+01:00", "shown in the partnership's time"

    code, out, _ = cli("audit", "--since", "2027-04-01", "--json")
    assert [e["action"] for e in json.loads(out)] == ["action-evaluated", "task-done", "finding-added", "risk-rated", "action-added"]

    code, out, _ = cli("audit", "--subject", "A-2027-0001", "--json")
    assert [(e["actor"], e["action"], e["subject"]) for e in json.loads(out)] == [
        ("qaf-cli", "action-added", "A-2027-0001"),
        ("prefect:evaluate-action:1234", "action-evaluated", "A-2027-0001"),
        ("business-unit", "task-done", "action/A-2027-0001/police"),  # its task
        ("qaf-cli", "finding-added", "F-2027-0003"),  # names it
    ]
    code, out, _ = cli("audit", "--subject", "A-2027-0001", "--since", "2027-04-02")
    assert out.splitlines()[-1] == "2 audit entries."
    assert "task-done" in out and "action/A-2027-0001/police" in out and "action=A-2027-0001" in out

    code, out, _ = cli("audit", "--subject", "F-2027-0004")
    lines = out.splitlines()
    assert lines == ["2027-04-03 10:00  qaf-cli                   risk-rated            F-2027-0004  (score=13)", "1 audit entry."]

    code, out, err = cli("audit", "--since", "2027-04-31")
    assert (code, out) == (2, "") and err.count("\n") == 1 and "is not a real date" in err
