"""Issue 20: contract fuzzing with Schemathesis, kept. Each service's own document, read from the
running stack through nginx, is fuzzed through nginx as a freshly registered, signed-in person:
all checks, every phase (the document's examples, the coverage of edge values, random fuzzing,
and the stateful phase, which chains operations through the links Schemathesis infers from the
answers), within a bounded budget per service. A server error, an undocumented status code, an
answer that breaks its schema (or any other check's failure) fails the test, which prints
Schemathesis' report of it.

The services come from the stack (`harness.SERVICES`), so a service added later is fuzzed too.
`e2e/fuzz-baseline/<service>.json`, where present, lists failures known and not fixed yet
(Schemathesis' baseline, each entry with its reason): they are reported, not failed on, and a
new failure still fails. A service without a file must have none; since 2026-12-05 no service
has one (the last 9 entries, of social, tasks and habits, were fixed).
`E2E_FUZZ_RECORD_BASELINE=1` records a run's failures there (merged into the file, and
Schemathesis' report printed, to write each entry's reason).
The settings are in `e2e/schemathesis.toml` (and the hooks it names); `E2E_FUZZ_EXAMPLES` sets
the cases per operation and phase, `E2E_FUZZ_SEED` runs a random (not the deterministic) set of
cases from that seed. README: "Contract fuzzing".
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from harness import ROOT, SERVICES, register_and_login

SCHEMATHESIS = ROOT / ".venv" / "bin" / "schemathesis"
E2E = ROOT / "e2e"
BASELINES = E2E / "fuzz-baseline"
EXAMPLES = os.environ.get("E2E_FUZZ_EXAMPLES")
# Record this run's failures in the service's baseline (see the module's doc).
RECORD_BASELINE = os.environ.get("E2E_FUZZ_RECORD_BASELINE") == "1"
SEED = os.environ.get("E2E_FUZZ_SEED")
# A hard stop, far above a service's run (under a minute on two cores), for a run that hangs.
TIMEOUT_SECONDS = 600


@pytest.mark.timeout(TIMEOUT_SECONDS + 60)
@pytest.mark.parametrize("service", SERVICES)
def test_the_document_holds_under_fuzzing(gateway: str, service: str, tmp_path: Path) -> None:
    person = register_and_login(gateway)
    document = requests.get(f"{gateway}/api/{service}/schema/?format=json", timeout=60)
    assert document.status_code == 200, document.text
    schema = tmp_path / f"{service}.json"
    schema.write_bytes(document.content)
    report = tmp_path / "report.json"
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(E2E / "schemathesis.toml"),
        "run",
        str(schema),
        "--url",
        gateway,
        "--header",
        f"Authorization: Bearer {person['access']}",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    if EXAMPLES:
        command += ["--max-examples", EXAMPLES]
    if SEED:
        # The config's deterministic mode ignores a seed (Schemathesis has no flag to turn it
        # off): the seeded run reads a copy of the config with it off.
        config = tmp_path / "schemathesis.toml"
        text = (E2E / "schemathesis.toml").read_text()
        assert "generation.deterministic = true" in text
        config.write_text(text.replace("generation.deterministic = true", "", 1))
        command[command.index("--config-file") + 1] = str(config)
        command += ["--seed", SEED]
    baseline = BASELINES / f"{service}.json"
    if RECORD_BASELINE:
        BASELINES.mkdir(exist_ok=True)
        command += ["--baseline", str(baseline)]
        if baseline.exists():
            command += ["--baseline-update"]  # merged: runs differ in what the server holds
    elif baseline.exists():
        command += ["--baseline", str(baseline)]
    done = subprocess.run(
        command,
        cwd=E2E,  # the config names its hooks file relative to here
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    figures = _figures(report)
    # The report names a seed in the deterministic mode too, where none is used.
    generation = f"seed {figures.get('seed')}" if SEED else "deterministic"
    print(
        f"\n[fuzz] {service}: {figures.get('operations', '?')} operations, "
        f"{figures.get('cases', '?')} cases, {figures.get('failures', '?')} failures "
        f"({figures.get('known', 0)} known ones besides, in e2e/fuzz-baseline/), "
        f"{figures.get('errors', '?')} errors, {figures.get('seconds', '?')} s, "
        f"{generation}"
    )
    if RECORD_BASELINE:
        print(done.stdout[-20000:])  # what was recorded, for each entry's reason
        return
    # Each line cut short: one case's `curl` line can be longer than the whole report shown.
    shown = "\n".join(line[:1500] for line in done.stdout.splitlines())
    assert done.returncode == 0 and figures.get("failures") == 0, (
        f"{service}: {figures}\n{shown[-20000:]}\n{done.stderr[-3000:]}"
    )


def _figures(report: Path) -> dict[str, Any]:
    if not report.exists() or not report.stat().st_size:
        return {}
    data = json.loads(report.read_text())
    return {
        "operations": data["operations"]["tested"],
        "cases": data["test_cases"]["generated"],
        "failures": sum(failure["count"] for failure in data["failures"]),
        "known": (data.get("baseline") or {}).get("known", 0),
        "errors": len(data["errors"]),
        "seconds": round(data["running_time"]),
        "seed": data.get("seed"),
    }
