"""Sweep the returns inbox: every file partners sent is read, kept and answered.

Every quarter of an hour through the working day: each file saved into the inbox folder
is received (accepted, marking its task submitted on time or late, or rejected with its
reasons), moved to processed/accepted or processed/rejected, and the named contact of an
agency whose file was rejected is emailed what to fix. The returns dashboard is then
refreshed.
"""


from datetime import date, datetime, timezone

from prefect import flow, get_run_logger

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.financial_year import FinancialYear
from tasks.database import prepare_database
from tasks.framework_file import load_framework_file
from tasks.reminders import send_reminders
from tasks.run_names import london_now, parameters
from qaframework.run_names import inbox_run
from tasks.returns import claim_inbox_file, count_ignored, list_inbox, move_received, publish_returns_dashboard, read_inbox_file, receive

JOB = "sweep-returns-inbox"


def run_name() -> str:
    """The run is named after the day and the time it sweeps: inbox-2027-05-04-0745."""
    return inbox_run(parameters(), london_now())


@flow(name="sweep-returns-inbox", flow_run_name=run_name)
def sweep_returns_inbox(as_of: date | None = None) -> dict[str, int]:
    """Receive every file waiting in the returns inbox, file it away, and tell senders of
    rejected files what to fix.

    Args:
        as_of: The day whose financial year the returns dashboard shows. Leave blank for
            today (London time); files are always received as of the moment they are read.
    """
    logger = get_run_logger()
    settings = Settings()
    url = settings.effective_database_url
    framework = load_framework_file(settings.framework_file)
    today = as_of or today_in(framework.document.partnership.timezone)
    inbox = settings.effective_returns_inbox
    prepare_database(url)
    counts = {"accepted": 0, "rejected": 0, "already received": 0}
    counts["left for the next sweep"] = 0
    for item in list_inbox(inbox, list(framework.agencies), settings.inbox_settle_seconds):
        try:
            claimed = claim_inbox_file(inbox, item)
            read = read_inbox_file(claimed) if claimed else None
            if claimed is None or read is None:
                continue  # another sweep took it
            data, size = read
            arrived = datetime.fromtimestamp(claimed.arrived_at, timezone.utc)
            stored = receive(url, framework, data, claimed.sent_as, "inbox", f"prefect:{JOB}", claimed.agency_hint, None, arrived, size)
            counts["already received" if stored.duplicate else stored.status] += 1
            move_received(inbox, claimed, stored.status, stored.id, today)
        except Exception as exc:  # noqa: BLE001 - one locked or unmovable file must not stop the others
            counts["left for the next sweep"] += 1
            # File names may be anything a partner chose: the log never names the file.
            logger.warning("A file in the inbox could not be taken (%s); it stays for the next sweep", type(exc).__name__)
            continue
        logger.info("Submission %d: %s%s", stored.id, stored.status, " (already received)" if stored.duplicate else "")
    ignored = count_ignored(inbox, list(framework.agencies))
    if ignored:
        logger.warning("%d folders in the inbox are not read: put files in the inbox itself or in a folder named after an agency key", ignored)
    if counts["rejected"]:
        send_reminders(settings, framework, today)
    if any(counts.values()):
        publish_returns_dashboard(url, framework, today, FinancialYear.containing(today).start_year)
    logger.info("Inbox swept: %d accepted, %d rejected, %d already received, %d left for the next sweep",
                counts["accepted"], counts["rejected"], counts["already received"], counts["left for the next sweep"])
    return counts
