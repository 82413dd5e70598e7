"""API keys, throttles and quotas of usage plans, against research notes §1.3 and §2."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from itertools import accumulate

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.local.deployment import PlanStage, Quota, Throttle, UsagePlan
from bedrock_stream.local.usage_plans import Metered, UsagePlans

KEY = "k" * 20
OTHER_KEY = "o" * 20
ASK = "/ask/POST"
# 2026-01-05 is a Monday; 12:00 UTC.
MONDAY_NOON = datetime(2026, 1, 5, 12, tzinfo=timezone.utc).timestamp()


class Clock:
    def __init__(self, now: float = MONDAY_NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc).timestamp()


def plans(
    *plan_list: UsagePlan, keys: dict[str, str] | None = None, clock: Clock | None = None
) -> UsagePlans:
    return UsagePlans(
        {plan.name: plan for plan in plan_list},
        {"Key": KEY, "Other": OTHER_KEY} if keys is None else keys,
        clock=clock or Clock(),
    )


def plan(
    name: str = "Plan",
    stages: tuple[PlanStage, ...] = (PlanStage("Api", "Prod"),),
    keys: tuple[str, ...] = ("Key", "Other"),
    throttle: Throttle | None = None,
    quota: Quota | None = None,
) -> UsagePlan:
    return UsagePlan(name, stages, keys, throttle, quota)


def refusals(
    usage: UsagePlans, count: int, key: str = KEY, *, stage: str = "Prod", method_key: str = ASK
) -> list[str | None]:
    return [
        usage.admit(key, api="Api", stage=stage, method_key=method_key).refusal
        for _ in range(count)
    ]


# -- API keys (§1.3) -------------------------------------------------------------------


def test_a_key_of_a_plan_of_the_stage_is_admitted_and_metered_by_that_plan() -> None:
    decision = plans(plan()).admit(KEY, api="Api", stage="Prod", method_key=ASK)
    assert decision.refusal is None
    assert decision.metered == Metered("Key", "Plan")


@pytest.mark.parametrize(
    ("why", "key", "api", "stage"),
    [
        ("no key", None, "Api", "Prod"),
        ("empty key", "", "Api", "Prod"),
        ("unknown key", "x" * 20, "Api", "Prod"),
        ("a key's logical id is not its value", "Key", "Api", "Prod"),
        ("no plan for that stage", KEY, "Api", "Beta"),
        ("no plan for that api", KEY, "OtherApi", "Prod"),
    ],
)
def test_invalid_keys(why: str, key: str | None, api: str, stage: str) -> None:
    decision = plans(plan()).admit(key, api=api, stage=stage, method_key=ASK)
    assert decision.refusal == "INVALID_API_KEY", why
    assert decision.metered is None


def test_a_disabled_key_left_out_of_the_keys_is_invalid() -> None:
    usage = plans(plan(), keys={"Other": OTHER_KEY})
    assert usage.admit(KEY, api="Api", stage="Prod", method_key=ASK).refusal == "INVALID_API_KEY"
    assert usage.admit(OTHER_KEY, api="Api", stage="Prod", method_key=ASK).refusal is None


def test_a_key_in_no_plan_of_the_stage_is_invalid() -> None:
    usage = plans(plan(keys=("Other",)), plan("Beta", (PlanStage("Api", "Beta"),), ("Key",)))
    assert usage.admit(KEY, api="Api", stage="Prod", method_key=ASK).refusal == "INVALID_API_KEY"
    assert usage.admit(KEY, api="Api", stage="Beta", method_key=ASK).metered == Metered(
        "Key", "Beta"
    )


def test_a_key_in_several_plans_is_metered_by_the_plan_of_the_stage() -> None:
    usage = plans(
        plan("ProdPlan", (PlanStage("Api", "Prod"),), ("Key",), throttle=Throttle(1, 1)),
        plan("BetaPlan", (PlanStage("Api", "Beta"),), ("Key",), throttle=Throttle(1, 3)),
    )
    beta = usage.admit(KEY, api="Api", stage="Beta", method_key=ASK)
    assert beta.metered == Metered("Key", "BetaPlan")
    assert refusals(usage, 2, stage="Prod") == [None, "THROTTLED"]
    assert refusals(usage, 3, stage="Beta") == [None, None, "THROTTLED"]


def test_a_plan_without_throttle_or_quota_admits_everything() -> None:
    assert set(refusals(plans(plan()), 500)) == {None}


# -- throttling (§2) -------------------------------------------------------------------


def test_the_bucket_starts_full_and_refills_at_the_rate() -> None:
    clock = Clock()
    usage = plans(plan(throttle=Throttle(rate=2, burst=3)), clock=clock)
    assert refusals(usage, 4) == [None, None, None, "THROTTLED"]
    clock.now += 0.25  # half a token
    assert refusals(usage, 1) == ["THROTTLED"]
    clock.now += 0.25
    assert refusals(usage, 2) == [None, "THROTTLED"]
    clock.now += 1000  # refills to the burst, no further
    assert refusals(usage, 4) == [None, None, None, "THROTTLED"]


def test_a_burst_of_zero_admits_nothing() -> None:
    clock = Clock()
    usage = plans(plan(throttle=Throttle(rate=100, burst=0)), clock=clock)
    assert refusals(usage, 1) == ["THROTTLED"]
    clock.now += 10
    assert refusals(usage, 1) == ["THROTTLED"]


def test_each_key_has_its_own_bucket() -> None:
    usage = plans(plan(throttle=Throttle(rate=1, burst=2)))
    assert refusals(usage, 3) == [None, None, "THROTTLED"]
    assert refusals(usage, 3, OTHER_KEY) == [None, None, "THROTTLED"]


def test_a_plan_throttles_a_key_across_all_its_stages() -> None:
    stages = (PlanStage("Api", "Prod"), PlanStage("Api", "Beta"))
    usage = plans(plan(stages=stages, throttle=Throttle(rate=1, burst=2)))
    assert refusals(usage, 1, stage="Prod") == [None]
    assert refusals(usage, 2, stage="Beta") == [None, "THROTTLED"]
    assert refusals(usage, 1, stage="Prod") == ["THROTTLED"]


def test_a_method_throttle_overrides_the_plan_throttle_for_that_method() -> None:
    clock = Clock()
    stage = PlanStage("Api", "Prod", {ASK: Throttle(rate=1, burst=5), "//GET": Throttle(1, 1)})
    usage = plans(plan(stages=(stage,), throttle=Throttle(rate=1, burst=2)), clock=clock)
    assert refusals(usage, 6) == [None] * 5 + ["THROTTLED"]
    assert refusals(usage, 3, method_key="/other/GET") == [None, None, "THROTTLED"]
    assert refusals(usage, 2, method_key="//GET") == [None, "THROTTLED"]  # the root resource
    assert refusals(usage, 1, method_key="/ask/GET") == ["THROTTLED"]  # another method: the plan's


def test_a_method_throttle_applies_without_a_plan_throttle() -> None:
    stage = PlanStage("Api", "Prod", {ASK: Throttle(rate=1, burst=1)})
    usage = plans(plan(stages=(stage,)))
    assert refusals(usage, 2) == [None, "THROTTLED"]
    assert set(refusals(usage, 50, method_key="/other/GET")) == {None}


def test_each_api_stage_has_its_own_method_throttle() -> None:
    # Method throttles are set per ApiStage (`/apiStages/<apiId>:<stage>/throttle/...`): a
    # second stage's own "/ask/POST" entry (burst 5) is not the first stage's bucket (burst 1).
    stages = (
        PlanStage("Api", "Prod", {ASK: Throttle(rate=1, burst=1)}),
        PlanStage("Api", "Beta", {ASK: Throttle(rate=1, burst=5)}),
    )
    usage = plans(plan(stages=stages))
    assert refusals(usage, 2, stage="Prod") == [None, "THROTTLED"]
    assert refusals(usage, 6, stage="Beta") == [None] * 5 + ["THROTTLED"]


@given(
    st.floats(0.1, 50, allow_nan=False),
    st.integers(0, 20),
    st.lists(
        st.one_of(st.just(0.0), st.floats(0, 2), st.floats(2, 100)),  # bursts, trickles, idles
        min_size=1,
        max_size=60,
    ),
)
def test_the_bucket_never_admits_more_than_burst_plus_rate_times_elapsed(
    rate: float, burst: int, gaps: list[float]
) -> None:
    clock = Clock()
    usage = plans(plan(throttle=Throttle(rate=rate, burst=burst)), clock=clock)
    times = [MONDAY_NOON + t for t in accumulate(gaps)]
    admitted = []
    for now in times:
        clock.now = now
        refusal = usage.admit(KEY, api="Api", stage="Prod", method_key=ASK).refusal
        assert refusal in (None, "THROTTLED")
        if refusal is None:
            admitted.append(now)
    # Over every window [first, last] of request times, whatever came before it.
    for i, first in enumerate(times):
        for last in times[i:]:
            inside = sum(1 for t in admitted if first <= t <= last)
            assert inside <= burst + rate * (last - first) + 1e-6


@given(
    st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0]),
    st.integers(1, 10),
    st.lists(st.integers(1, 4), min_size=1, max_size=40),
)
def test_requests_at_least_a_token_apart_are_all_admitted(
    rate: float, burst: int, gaps: list[int]
) -> None:
    clock = Clock()
    usage = plans(plan(throttle=Throttle(rate=rate, burst=burst)), clock=clock)
    for gap in gaps:
        clock.now += gap / rate  # exact in binary: gap tokens have come back
        assert usage.admit(KEY, api="Api", stage="Prod", method_key=ASK).refusal is None


# -- quotas (§2) -----------------------------------------------------------------------


def test_a_quota_admits_its_limit_per_day_then_limit_exceeded() -> None:
    clock = Clock()
    usage = plans(plan(quota=Quota(3, "DAY")), clock=clock)
    assert refusals(usage, 4) == [None, None, None, "QUOTA_EXCEEDED"]
    clock.now = at(2026, 1, 5, 23, 59, 59)
    assert refusals(usage, 1) == ["QUOTA_EXCEEDED"]
    clock.now = at(2026, 1, 6)  # UTC midnight
    assert refusals(usage, 4) == [None, None, None, "QUOTA_EXCEEDED"]


def test_weeks_start_on_monday_utc() -> None:
    clock = Clock(at(2026, 1, 5, 0, 0, 1))  # Monday
    usage = plans(plan(quota=Quota(1, "WEEK")), clock=clock)
    assert refusals(usage, 1) == [None]
    for day in (6, 10, 11):  # Tuesday, Saturday, Sunday
        clock.now = at(2026, 1, day, 12)
        assert refusals(usage, 1) == ["QUOTA_EXCEEDED"]
    clock.now = at(2026, 1, 11, 23, 59, 59)
    assert refusals(usage, 1) == ["QUOTA_EXCEEDED"]
    clock.now = at(2026, 1, 12)  # the next Monday
    assert refusals(usage, 2) == [None, "QUOTA_EXCEEDED"]


def test_months_start_on_the_first_utc() -> None:
    clock = Clock(at(2026, 1, 31, 23, 59, 59))
    usage = plans(plan(quota=Quota(1, "MONTH")), clock=clock)
    assert refusals(usage, 2) == [None, "QUOTA_EXCEEDED"]
    clock.now = at(2026, 2, 1)
    assert refusals(usage, 1) == [None]
    clock.now = at(2026, 2, 28, 23)
    assert refusals(usage, 1) == ["QUOTA_EXCEEDED"]
    clock.now = at(2026, 3, 1)
    assert refusals(usage, 1) == [None]


def test_the_offset_is_subtracted_in_the_first_period_only() -> None:
    clock = Clock()
    usage = plans(plan(quota=Quota(5, "DAY", offset=2)), clock=clock)
    assert refusals(usage, 4) == [None, None, None, "QUOTA_EXCEEDED"]
    clock.now += 86_400
    assert refusals(usage, 6) == [None] * 5 + ["QUOTA_EXCEEDED"]


def test_a_quota_is_per_key_and_shared_by_the_stages_of_its_plan() -> None:
    stages = (PlanStage("Api", "Prod"), PlanStage("Api", "Beta"))
    usage = plans(plan(stages=stages, quota=Quota(2, "DAY")))
    assert refusals(usage, 1, stage="Prod") == [None]
    assert refusals(usage, 2, stage="Beta") == [None, "QUOTA_EXCEEDED"]
    assert refusals(usage, 1, stage="Prod") == ["QUOTA_EXCEEDED"]
    assert refusals(usage, 3, OTHER_KEY) == [None, None, "QUOTA_EXCEEDED"]


def test_a_quota_is_per_plan() -> None:
    usage = plans(
        plan("ProdPlan", (PlanStage("Api", "Prod"),), ("Key",), quota=Quota(1, "DAY")),
        plan("BetaPlan", (PlanStage("Api", "Beta"),), ("Key",), quota=Quota(1, "DAY")),
    )
    assert refusals(usage, 2, stage="Prod") == [None, "QUOTA_EXCEEDED"]
    assert refusals(usage, 2, stage="Beta") == [None, "QUOTA_EXCEEDED"]


def test_throttled_requests_do_not_count_toward_the_quota() -> None:
    clock = Clock()
    usage = plans(plan(throttle=Throttle(rate=1, burst=1), quota=Quota(3, "DAY")), clock=clock)
    outcomes = []
    for _ in range(4):
        outcomes += refusals(usage, 5)
        clock.now += 1
    assert outcomes == (
        [None] + ["THROTTLED"] * 4
        + [None] + ["THROTTLED"] * 4
        + [None] + ["THROTTLED"] * 4
        + ["QUOTA_EXCEEDED"] + ["THROTTLED"] * 4
    )  # fmt: skip


def period_of(period: str, when: float) -> tuple[int, ...]:
    """The UTC calendar period of ``when``, computed independently of the module."""
    moment = datetime.fromtimestamp(when, timezone.utc)
    if period == "DAY":
        return (moment.year, moment.month, moment.day)
    if period == "WEEK":
        iso = moment.isocalendar()  # ISO weeks start on Monday
        return (iso[0], iso[1])
    return (moment.year, moment.month)


@given(
    st.sampled_from(["DAY", "WEEK", "MONTH"]),
    st.integers(0, 6),
    st.integers(0, 3),
    st.floats(0, 40 * 86_400, allow_nan=False),
    st.lists(st.floats(0, 5 * 86_400, allow_nan=False), min_size=1, max_size=50),
)
def test_a_quota_admits_exactly_its_limit_per_period(
    period: str, limit: int, offset: int, start: float, gaps: list[float]
) -> None:
    clock = Clock(at(2025, 12, 20) + start)
    first = period_of(period, clock.now)
    usage = plans(plan(quota=Quota(limit, period, offset)), clock=clock)  # type: ignore[arg-type]
    asked: Counter[tuple[int, ...]] = Counter()
    admitted: Counter[tuple[int, ...]] = Counter()
    for now in accumulate(gaps, initial=clock.now):
        clock.now = now
        decision = usage.admit(KEY, api="Api", stage="Prod", method_key=ASK)
        asked[period_of(period, now)] += 1
        if decision.refusal is None:
            admitted[period_of(period, now)] += 1
        else:
            assert decision.refusal == "QUOTA_EXCEEDED"
    for each, count in asked.items():
        allowed = max(0, limit - offset) if each == first else limit
        assert admitted[each] == min(count, allowed), each
