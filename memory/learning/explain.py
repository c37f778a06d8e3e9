"""Why a memory was used, in words for the person's memory page: how often they mentioned it,
how it went when the companion brought it up (their reward events), whether they pinned it,
and what moved it up the last time it was used (the policy's largest feature contributions)."""

from collections import Counter, defaultdict

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from memory.learning.features import FEATURE_SET_VERSION, F, unpack
from memory.learning.registry import global_policy
from memory.models import Memory, MemorySource, RetrievalLog, RewardEvent

# What a feature that moved a memory up means, said to the person.
FEATURE_WORDS = {
    "dense": lambda: _("it was close in meaning to what you said"),
    "dense_rank": lambda: _("it was close in meaning to what you said"),
    "rerank": lambda: _("it read like an answer to what you asked"),
    "lexical": lambda: _("it shared words with what you said"),
    "coverage": lambda: _("it shared words with what you said"),
    "time_match": lambda: _("it was about the time you asked about"),
    "entity": lambda: _("it named someone or something you mentioned"),
    "recency": lambda: _("you told me recently"),
    "importance": lambda: _("it matters to you"),
    "domain": lambda: _("it was on the topic you were talking about"),
    "episode": lambda: _("it sums up a conversation we had"),
    "event": lambda: _("it is something that happened"),
    "strength": lambda: _("it is fresh in my memory"),
}
LOGS_SCANNED = 200  # the person's latest logged reads looked at for "last time"


def _mentions(n: int) -> str:
    if n == 2:
        return _("you mentioned it twice")
    return ngettext("you mentioned it once", "you mentioned it %(n)s times", n) % {"n": n}


def _joined(parts: list[str]) -> str:
    text = parts[0] if len(parts) == 1 else _(", ").join(parts[:-1]) + _(" and ") + parts[-1]
    return text[:1].upper() + text[1:] + _(".")


def _last_use(user_id: int, wanted: set[int]) -> dict[int, list[str]]:
    """The features that moved each memory up the last time a logged read showed it."""
    policy = global_policy()
    found: dict[int, list[str]] = {}
    logs = RetrievalLog.objects.filter(user_id=user_id, feature_set=FEATURE_SET_VERSION).order_by(
        "-created_at", "-id"
    )
    for log in logs.only("candidate_ids", "shown_ids", "features")[:LOGS_SCANNED]:
        hits = wanted.intersection(log.shown_ids) - set(found)
        if not hits:
            continue
        matrix = unpack(bytes(log.features), F)
        ids = list(log.candidate_ids)
        for memory_id in hits:
            if memory_id not in ids or matrix.shape[0] != len(ids):
                continue
            parts = policy.contributions(matrix[ids.index(memory_id)])
            top = sorted((v, k) for k, v in parts.items() if v > 0 and k in FEATURE_WORDS)
            words: list[str] = []
            for _value, name in reversed(top):
                said = FEATURE_WORDS[name]()
                if said not in words:
                    words.append(said)
            found[memory_id] = words[:2]
        if len(found) == len(wanted):
            break
    return found


def memory_reasons(*, user_id: int, memory_ids: list[int]) -> dict[int, str]:
    """For each of the person's memories the companion has used (or that they marked), one
    sentence on why; memories with nothing to say are left out."""
    ids = list(
        Memory.objects.filter(user_id=user_id, pk__in=memory_ids).values_list(
            "pk", "recall_count", "pinned"
        )
    )
    if not ids:
        return {}
    wanted = {pk for pk, _, _ in ids}
    mentions = dict(
        MemorySource.objects.filter(memory_id__in=wanted)
        .values("memory_id")
        .annotate(n=Count("id"))
        .values_list("memory_id", "n")
    )
    signals: dict[int, Counter] = defaultdict(Counter)
    for memory_id, signal in RewardEvent.objects.filter(
        user_id=user_id, memory_id__in=wanted
    ).values_list("memory_id", "signal"):
        signals[memory_id][signal] += 1
    last = _last_use(user_id, wanted)
    reasons = {}
    for memory_id, recalls, pinned in ids:
        used = recalls + signals[memory_id]["used"]
        if not used and not signals[memory_id]:
            continue  # never brought up: nothing to explain
        parts: list[str] = []
        if mentions.get(memory_id, 0) >= 2:
            parts.append(_mentions(mentions[memory_id]))
        if pinned:
            parts.append(_("you pinned it"))
        said = signals[memory_id]
        if said["up"] or said["completed"]:
            parts.append(_("you liked it when I brought it up"))
        elif said["down"] or said["correction"]:
            parts.append(_("you told me it did not help when I brought it up"))
        elif said["continued"]:
            parts.append(_("our conversation went on from it when I brought it up"))
        # What moved it up last time, when the person's own doings say little.
        parts.extend(last.get(memory_id, [])[: max(0, 2 - len(parts))])
        if not parts:
            parts.append(
                ngettext(
                    "I have brought it up once",
                    "I have brought it up %(n)s times",
                    max(1, used),
                )
                % {"n": max(1, used)}
            )
        reasons[memory_id] = _joined(parts)
    return reasons
