"""Three independent readings of a feed: icalendar with recurring_ical_events, vobject,
and ical.js (Thunderbird's engine) under node. Each gives, per UID, the start and end
(UTC ISO for timed events, dates for all-day ones), the status and the sequence."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

JS = Path(__file__).resolve().parents[1] / "js"

Reading = dict[str, tuple[str, str, str, int]]


def _iso(value: date | datetime) -> str:
    if isinstance(value, datetime):
        assert value.tzinfo is not None, "a timed event must not be floating"
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def by_icalendar(data: bytes) -> Reading:
    import icalendar
    import recurring_ical_events

    calendar = icalendar.Calendar.from_ical(data)
    events = recurring_ical_events.of(calendar, skip_bad_series=False).between(date(1990, 1, 1), date(2100, 1, 1))
    return {
        str(e["UID"]): (_iso(e["DTSTART"].dt), _iso(e["DTEND"].dt), str(e.get("STATUS")), int(e.get("SEQUENCE", 0)))
        for e in events
    }


def by_vobject(data: bytes) -> Reading:
    import vobject

    calendar = vobject.readOne(data.decode("utf-8"))
    return {
        e.uid.value: (_iso(e.dtstart.value), _iso(e.dtend.value), e.status.value, int(e.sequence.value))
        for e in calendar.vevent_list
    }


def icaljs_available() -> str | None:
    """None if ical.js can run, else why not (installing it with npm if needed)."""
    if shutil.which("node") is None:
        return "node is not installed: the ical.js reading of feeds needs it"
    if not (JS / "node_modules" / "ical.js").exists():
        if shutil.which("npm") is None:
            return "npm is not installed: cannot install ical.js"
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            return f"npm ci failed in {JS}: {result.stderr.strip()[-300:]}"
    return None


def by_icaljs(data: bytes) -> Reading:
    result = subprocess.run(["node", str(JS / "parse.mjs")], input=data, capture_output=True, timeout=120, check=True)
    return {e["uid"]: (e["start"], e["end"], e["status"], int(e["sequence"])) for e in json.loads(result.stdout)}
