"""The concretizer's evaluation set (tasks-service/tasks/concretizer/eval/goals.json: 30 vague
goals, 10 per language) against a planner, with the set's checks (eval/checks.py): step count,
verb-first steps, the goal's language, estimates that fit the deadline, no duplicate steps.

    .venv/bin/python bench/concretizer_eval.py                 # the offline rules planner
    CONCRETIZER_API_BASE=http://127.0.0.1:11434/v1 CONCRETIZER_MODEL=llama3.1 \\
        .venv/bin/python bench/concretizer_eval.py --provider llm   # any configured API

Prints each goal's result, the score per language, the latency of each plan (p50, p99, max)
and the offline planner's p99 over `--runs` passes of the set (target: at most 50 ms). With
`--provider llm` a plan the API did not make (a fallback) counts as a failure of the API.
Needs no database: the global budget is switched off here and no person is named.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "tasks-service"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider", choices=["rules", "llm"], default="rules")
    parser.add_argument("--runs", type=int, default=100, help="passes for the offline p99")
    parser.add_argument("--quiet", action="store_true", help="scores and figures only")
    args = parser.parse_args()

    sys.path.insert(0, str(SERVICE))
    os.chdir(SERVICE)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.CONCRETIZER_DAILY_BUDGET = 0  # the bench names no person and has no database
    from tasks.concretizer.eval.checks import check_plan, load_goals, request_for
    from tasks.concretizer.llm import ChatCompletionsPlanner
    from tasks.concretizer.planner import RulesPlanner

    if args.provider == "llm" and not settings.CONCRETIZER_API_BASE:
        print("--provider llm needs CONCRETIZER_API_BASE (and CONCRETIZER_MODEL, _API_KEY)")
        return 2
    planner = ChatCompletionsPlanner() if args.provider == "llm" else RulesPlanner()
    today = date.today()
    goals = load_goals()
    passed: dict[str, list[int]] = {}
    latencies: list[float] = []
    for item in goals:
        started = time.perf_counter()
        request = request_for(item, today=today)
        result = planner.plan(request)
        if result.questions and item.get("answers"):
            request = request_for(item, today=today, answers=True)
            result = planner.plan(request)
        latencies.append((time.perf_counter() - started) * 1000)
        score = check_plan(result.steps, request)
        failures = list(score.failures)
        if args.provider == "llm" and result.provider != "llm":
            failures.append(f"fallback to the rules ({result.fallback_reason})")
        passed.setdefault(item["language"], []).append(0 if failures else 1)
        if not args.quiet:
            mark = "ok  " if not failures else "FAIL"
            print(
                f"{mark} [{item['language']}] {item['goal']!r}: {len(result.steps)} steps "
                f"by {result.provider} {latencies[-1]:.1f} ms {'; '.join(failures)}"
            )
    print(
        f"\nprovider: {args.provider}"
        + (
            f" ({settings.CONCRETIZER_MODEL} at {settings.CONCRETIZER_API_BASE})"
            if args.provider == "llm"
            else ""
        )
    )
    total = sum(sum(v) for v in passed.values())
    for language, marks in passed.items():
        print(f"  {language}: {sum(marks)}/{len(marks)} plans pass every check")
    print(f"  all: {total}/{len(goals)}")
    print(
        f"  latency per plan: p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms"
    )

    offline = RulesPlanner()
    times: list[float] = []
    for _ in range(args.runs):
        for item in goals:
            request = request_for(item, today=today, answers=bool(item.get("answers")))
            started = time.perf_counter()
            offline.plan(request)
            times.append((time.perf_counter() - started) * 1000)
    p99 = percentile(times, 0.99)
    verdict = "meets" if p99 <= 50 else "MISSES"
    print(
        f"offline planner over {len(times)} plans: p50 {statistics.median(times):.3f} ms, "
        f"p99 {p99:.3f} ms, max {max(times):.3f} ms ({verdict} the 50 ms target)"
    )
    return 0 if total == len(goals) else 1


if __name__ == "__main__":
    sys.exit(main())
