"""Which key, plan and limits apply to a request, and the counters that remember what each has used.

``KeyRing`` is compiled once per deployment from the definitions (key values, and the usage plans of
each API stage); ``UsageMeter`` lives as long as the gateway, across reloads, as AWS's counters outlive
a redeployment. A counter remembers the limits it was made for, so a reload that changes a plan's
throttle or quota starts that plan afresh instead of applying new limits to old counts.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from emulator.auth.limits import QuotaCounter, TokenBucket
from emulator.model import ApiKey, Definitions, Quota, Throttle, UsagePlan


@dataclass(frozen=True)
class KeyRing:
    """The API keys by value, and the usage plans serving each (api name, stage name)."""

    by_value: Mapping[str, ApiKey]
    plans: Mapping[tuple[str, str], tuple[UsagePlan, ...]]

    def plan_for(self, key: ApiKey, api: str, stage: str) -> UsagePlan | None:
        """The usage plan through which ``key`` may call ``api``'s ``stage``; ``None`` if no plan lets it.

        AWS refuses a key in two plans of one API stage, so the first plan holding it is the one.
        """
        for plan in self.plans.get((api, stage), ()):
            if key.name in plan.keys:
                return plan
        return None


def key_ring(definitions: Definitions) -> KeyRing:
    plans: dict[tuple[str, str], list[UsagePlan]] = {}
    for plan in definitions.usage_plans.values():
        for api_stage in plan.stages:
            plans.setdefault(api_stage, []).append(plan)
    return KeyRing(
        by_value={key.value: key for key in definitions.api_keys.values()},
        plans={api_stage: tuple(found) for api_stage, found in plans.items()},
    )


class UsageMeter:
    """Every token bucket and quota counter in use, created on first use; thread-safe."""

    def __init__(self) -> None:
        #: By owner: the limits its counter was made for, and the counter.
        self._buckets: dict[Hashable, tuple[Throttle, TokenBucket]] = {}
        self._quotas: dict[Hashable, tuple[Quota, QuotaCounter]] = {}
        self._lock = threading.Lock()

    def throttle(self, owner: Hashable, throttle: Throttle, now: float) -> bool:
        """Take a token from ``owner``'s bucket for ``throttle``; ``False`` when throttled."""
        found = self._buckets.get(owner)
        if found is None or not _same(found[0], throttle):
            with self._lock:
                found = self._buckets.get(owner)
                if found is None or not _same(found[0], throttle):
                    found = self._buckets[owner] = (throttle, TokenBucket(throttle, now))
        return found[1].take(now)

    def count(self, owner: Hashable, quota: Quota, now: float) -> bool:
        """Count a request against ``owner``'s ``quota``; ``False`` when the period's limit is used up."""
        found = self._quotas.get(owner)
        if found is None or not _same(found[0], quota):
            with self._lock:
                found = self._quotas.get(owner)
                if found is None or not _same(found[0], quota):
                    found = self._quotas[owner] = (quota, QuotaCounter(quota, now))
        return found[1].take(now)


def _same(first: object, second: object) -> bool:
    """The same limits: the very object while a deployment lasts, an equal one after a reload."""
    return first is second or first == second
