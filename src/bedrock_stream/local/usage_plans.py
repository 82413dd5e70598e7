"""API keys and usage plans as API Gateway applies them, sans I/O.

A route that requires an API key admits a request only with a key that is enabled and in
a usage plan covering the route's API and stage; otherwise 403 ``Forbidden``. The key's
plan then meters it: a token bucket per key (the plan's throttle, or the plan's throttle
for that method, ``/path/METHOD``) answers 429 ``Too Many Requests`` when empty, and the
plan's quota answers 429 ``Limit Exceeded`` once the key has used it up for the period.
A key's limits count every stage of its plan together, as on AWS. Throttled requests do
not count against the quota.

Periods are UTC calendar days, weeks starting on Monday, and months (AWS does not
document the boundaries); ``offset`` requests are taken off the limit in the first one.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bedrock_stream.local.deployment import Quota, Throttle, UsagePlan

__all__ = ["Admission", "Metered", "UsagePlans"]

Refusal = Literal["INVALID_API_KEY", "THROTTLED", "QUOTA_EXCEEDED"]
"""Why a request was refused, as API Gateway's gateway response types name it."""


@dataclass(frozen=True)
class Metered:
    """A request admitted under ``plan`` with the key ``key`` (its logical id)."""

    key: str
    plan: str

    @property
    def key_id(self) -> str:
        """The key's id, as events carry it (``apiKeyId``): stable, derived from its name."""
        return hashlib.sha256(self.key.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Admission:
    """The decision for one request: admitted (``metered``) or refused (``refusal``)."""

    metered: Metered | None = None
    refusal: Refusal | None = None


class _Bucket:
    """A token bucket that starts full: ``burst`` tokens, ``rate`` more each second."""

    def __init__(self, throttle: Throttle, now: float) -> None:
        self._rate = throttle.rate
        self._capacity = float(throttle.burst)
        self._tokens = self._capacity
        self._at = now

    def take(self, now: float) -> bool:
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


def _period_start(quota: Quota, when: datetime) -> datetime:
    day = when.replace(hour=0, minute=0, second=0, microsecond=0)
    if quota.period == "WEEK":
        return day - timedelta(days=day.weekday())
    if quota.period == "MONTH":
        return day.replace(day=1)
    return day


class UsagePlans:
    """The usage plans of a template, with the values of their API keys.

    Args:
        plans: by logical id.
        keys: each API key's value (as callers send it) by logical id; keys that are not
            enabled are left out.
        clock: seconds since the epoch (quota periods are calendar periods).
    """

    def __init__(
        self,
        plans: Mapping[str, UsagePlan],
        keys: Mapping[str, str],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._plans = dict(plans)
        self._by_value = {value: name for name, value in keys.items()}
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}
        self._used: dict[tuple[str, str], tuple[datetime, int]] = {}
        self._started = datetime.fromtimestamp(clock(), timezone.utc)

    def key_for(self, api: str, stage: str) -> str | None:
        """Return the value of a key that a plan covering ``api``'s ``stage`` admits, if any."""
        for plan in self._plans.values():
            if any(s.api == api and s.stage == stage for s in plan.stages):
                for value, name in self._by_value.items():
                    if name in plan.keys:
                        return value
        return None

    def admit(self, key: str | None, *, api: str, stage: str, method_key: str) -> Admission:
        """Decide a request bearing API key ``key`` (its value) to ``api``'s ``stage``.

        ``method_key`` is the route as usage plans name it: ``/ask/POST`` (the root: ``//GET``).
        """
        name = self._by_value.get(key or "")
        plan = next(
            (
                plan
                for plan in self._plans.values()
                if name in plan.keys and any(s.api == api and s.stage == stage for s in plan.stages)
            ),
            None,
        )
        if name is None or plan is None:
            return Admission(refusal="INVALID_API_KEY")
        stage_spec = next(s for s in plan.stages if s.api == api and s.stage == stage)
        throttle = stage_spec.method_throttles.get(method_key) or plan.throttle
        # A method's own throttle is per stage; the plan's is shared by all its stages.
        scope = f"{api}:{stage}{method_key}" if method_key in stage_spec.method_throttles else ""
        with self._lock:
            now = self._clock()
            if throttle is not None:
                bucket = self._buckets.setdefault((plan.name, name, scope), _Bucket(throttle, now))
                if not bucket.take(now):
                    return Admission(refusal="THROTTLED")
            if plan.quota is not None and not self._count(plan.name, name, plan.quota, now):
                return Admission(refusal="QUOTA_EXCEEDED")
        return Admission(metered=Metered(name, plan.name))

    def _count(self, plan: str, key: str, quota: Quota, now: float) -> bool:
        """Count one request against the quota; False when it is used up."""
        start = _period_start(quota, datetime.fromtimestamp(now, timezone.utc))
        period, used = self._used.get((plan, key), (start, 0))
        if period != start:
            used = 0
        limit = quota.limit
        if start == _period_start(quota, self._started):
            limit -= quota.offset
        if used >= limit:
            return False
        self._used[(plan, key)] = (start, used + 1)
        return True
