"""The sprint review's ranges of whole UTC days: presets, a custom start/end, and the default that shows data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tui.errors import ServiceError

RANGES = {"auto": "Latest data", "today": "Today", "week": "This week", "7d": "Last 7 days", "14d": "Last 14 days",
          "sprint": "Last sprint", "custom": "Custom"}


def parse_day(text: str, field: str) -> date:
    """A day typed as YYYY-MM-DD or YYYYMMDD (as `codex-router report` takes it)."""
    cleaned = text.strip()
    try:
        if len(cleaned) == 8 and cleaned.isdigit():
            return date(int(cleaned[:4]), int(cleaned[4:6]), int(cleaned[6:]))
        return date.fromisoformat(cleaned)
    except ValueError:
        raise ServiceError(f"{field} {cleaned!r}: use YYYY-MM-DD or YYYYMMDD") from None


def review_range(key: str, start: str | None, end: str | None, now: datetime, latest: datetime | None,
                 sprint_days: int) -> tuple[date, date, str]:
    """The review's first and last day (both included, UTC) and its label.

    ``auto`` is the last 7 days when they hold data, else the last sprint ending at the latest data (the demo's
    data is from another week than today's). ``sprint`` is ``sprint_days`` days ending at the latest data.
    """
    today = now.astimezone(UTC).date()
    last_data = latest.date() if latest is not None else None
    if key == "auto":
        key = "7d" if last_data is None or last_data > today - timedelta(days=7) else "sprint"
        if key == "sprint":
            first, last, label = review_range("sprint", None, None, now, latest, sprint_days)
            return first, last, f"{label}; none in the last 7 days"
    if key == "today":
        return today, today, RANGES[key]
    if key == "week":
        return today - timedelta(days=today.weekday()), today, RANGES[key]
    if key in ("7d", "14d"):
        return today - timedelta(days=int(key[:-1]) - 1), today, RANGES[key]
    if key == "sprint":
        last = last_data or today
        return last - timedelta(days=sprint_days - 1), last, f"Last sprint, {sprint_days} days to the latest data"
    if key == "custom":
        if not (start or "").strip():
            raise ServiceError("custom range: type a start day (YYYY-MM-DD)")
        first = parse_day(start or "", "start")
        last = parse_day(end, "end") if (end or "").strip() else today
        if last < first:
            raise ServiceError(f"end {last} is before start {first}")
        return first, last, "Custom"
    raise ServiceError(f"unknown range {key!r}; one of {', '.join(RANGES)}")
