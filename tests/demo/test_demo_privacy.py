"""Nothing in the demonstration year identifies anyone: every text column of every table
passes the identifying-text checks (no NHS number, date of birth or postcode), the texts
people would have typed say they are demonstration data, and cases are known by
reference only."""

from __future__ import annotations

from sqlalchemy import String, inspect, select, table, column

from qaframework.learning.identifying import identifying_reasons
from qaframework.persistence.database import make_engine, transaction
from qaframework.persistence.learning_tables import Finding, ImprovementAction, MeetingDecision
from qaframework.persistence.tables import ReviewCase
from qaframework.yearly_plan import CASE_REFERENCE
from tests.demo.conftest import DemoDatabase, sqlite_only

#: The directory the roster fills: the example roster's own names and addresses.
DIRECTORY = {"agency", "body"}
#: Hashes the software computes (hex digits, which may hold ten in a row that pass the
#: NHS check digit by chance): not text anyone typed or reads.
HASHES = {"source_key", "fingerprint", "dedupe_key", "content_hash", "secret_hash", "body_hash", "message_id"}


@sqlite_only
def test_no_text_in_the_database_identifies_anyone(demo_database: DemoDatabase) -> None:
    engine = make_engine(demo_database.url)
    try:
        inspector = inspect(engine)
        columns = {t: [c["name"] for c in inspector.get_columns(t) if isinstance(c["type"], String) and c["name"] not in HASHES]
                   for t in inspector.get_table_names() if t not in DIRECTORY}
    finally:
        engine.dispose()
    checked = 0
    found = []
    with transaction(demo_database.url) as session:
        for name, texts in columns.items():
            for c in texts:
                for value in session.execute(select(column(c)).select_from(table(name))).scalars():
                    if value:
                        checked += 1
                        if identifying_reasons(str(value)):
                            found.append(f"{name}.{c}: {identifying_reasons(str(value))[0]}")
        marked = [*session.execute(select(Finding.summary).where(Finding.source == "typed")).scalars(),
                  *session.execute(select(MeetingDecision.text)).scalars(),
                  *session.execute(select(ImprovementAction.evidence).where(ImprovementAction.status == "done")).scalars()]
        cases = session.execute(select(ReviewCase.reference, ReviewCase.private_notes)).all()
    assert checked > 1000 and found == []
    assert marked and all("(demonstration data)" in text for text in marked)
    assert cases and all(CASE_REFERENCE.match(reference) and notes == "" for reference, notes in cases)
