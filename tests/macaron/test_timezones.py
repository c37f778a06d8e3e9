from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from macaron.timezones import aware, local_time, user_zone


def test_user_zone_is_the_profile_zone_or_utc():
    assert user_zone(SimpleNamespace(time_zone="Asia/Tokyo")) == ZoneInfo("Asia/Tokyo")
    assert user_zone(SimpleNamespace(time_zone="Mars/Olympus")) == ZoneInfo("UTC")
    assert user_zone(SimpleNamespace(time_zone="")) == ZoneInfo("UTC")
    assert user_zone(None) == ZoneInfo("UTC")


def test_local_time_is_the_persons_wall_clock():
    late_in_tokyo = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 00:30 on 2 March in Tokyo
    local = local_time(late_in_tokyo, SimpleNamespace(time_zone="Asia/Tokyo"))
    assert (local.date().isoformat(), local.hour, local.minute) == ("2026-03-02", 0, 30)
    assert aware(datetime(2026, 3, 1, 12)) == datetime(2026, 3, 1, 12, tzinfo=UTC)
