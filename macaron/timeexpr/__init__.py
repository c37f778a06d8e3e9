"""Time expressions, a shared kernel beside `macaron.text` and `macaron.timezones`: the one
resolver that ingestion, reminders, retrieval, the episode summariser and the `resolve_time`
command use ("tomorrow at 10am" said on 30 Nov → 1 Dec, in the person's local days).

- `resolver`: the API (`resolve_time`, `TimeRange`), tense and how the pieces of a sentence
  combine;
- `rules`: the English, Japanese and Korean grammar (each rule yields one piece or none);
- `calendar`: calendar arithmetic, recurring dates, holidays and seasons.

Pure computation: no database, no Django settings, no network.
"""

from macaron.timeexpr.resolver import TimeRange, resolve_time

__all__ = ["TimeRange", "resolve_time"]
