"""Every benchmark's --quick mode runs and writes its figures: a smoke test, never a timing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench import (
    broadcast,
    burst,
    dbwork,
    flood,
    gallery,
    intake,
    ledger,
    memory,
    overhead,
    recovery,
    startup,
)

pytestmark = pytest.mark.slow

Main = Callable[[list[str] | None], dict[str, Any]]


def run_quick(main: Main, name: str, out: Path) -> dict[str, Any]:
    returned = main(["--quick", "--out", str(out)])
    written: dict[str, Any] = json.loads((out / f"{name}.json").read_text())
    assert written["benchmark"] == name == returned["benchmark"]
    assert {"python", "cpus", "python_telegram_bot"} <= set(written["machine"])
    figure = out / f"{name}.png"
    assert figure.read_bytes().startswith(b"\x89PNG")
    return written


def databases_of(results: list[dict[str, Any]]) -> set[str]:
    return {str(r["database"]) for r in results if r.get("database") not in (None, "-")}


def test_overhead_compares_the_bot_with_the_floor_at_each_model_latency(tmp_path: Path) -> None:
    figures = run_quick(overhead.main, "overhead", tmp_path)

    rows = figures["results"]
    assert {r["bot"] for r in rows} == {"baseline", "aivenger"}
    assert "sqlite" in databases_of(rows)
    for row in rows:
        assert row["photos"] == figures["plan"]["photos"] == len(row["samples"])
        assert {"p50", "p95", "p99"} <= set(row["latency"])
    assert all({"p50", "p95", "p99"} <= set(r["ratio"]) for r in rows if r["bot"] == "aivenger")


def test_burst_reports_wall_time_floor_and_429s(tmp_path: Path) -> None:
    figures = run_quick(burst.main, "burst", tmp_path)

    for row in figures["results"]:
        assert row["delivered"] == row["photos"]
        assert {"wall_seconds", "floor_seconds", "ratio", "received_429"} <= set(row)
        assert {"calls_inside_retry_after", "peak_rss_bytes", "meets_target"} <= set(row)
        assert row["peak_rss_bytes"] > 0
    assert {r["bot"] for r in figures["results"]} == {"baseline", "aivenger"}
    assert "sqlite" in databases_of(figures["results"])
    assert figures["plan"]["workers"] == [None]  # AIVenger at its default settings


def test_dbwork_counts_transactions_and_statements_per_avatar(tmp_path: Path) -> None:
    figures = run_quick(dbwork.main, "dbwork", tmp_path)

    assert "sqlite" in databases_of(figures["results"])
    for result in figures["results"]:
        assert len(result["per_avatar"]) == result["photos"]
        median = result["median"]
        assert median["transactions"] >= median["intake.transactions"] >= 1
        assert median["statements"] >= median["transactions"]
        assert median["job.transactions"] >= 1


def test_memory_reports_peak_per_job_and_growth(tmp_path: Path) -> None:
    figures = run_quick(memory.main, "memory", tmp_path)

    assert [r["in_flight"] for r in figures["in_flight"]] == figures["plan"]["in_flight"]
    for row in figures["in_flight"]:
        assert row["peak_rss_bytes"] >= row["rss_before_bytes"] > 0
        assert "per_job_ratio" in row
    growth = figures["growth"]
    assert growth["checkpoints"][-1][0] == growth["jobs"]
    assert "growth_bytes_per_job" in growth


def test_gallery_counts_reads_and_uploads_per_turn(tmp_path: Path) -> None:
    figures = run_quick(gallery.main, "gallery", tmp_path)

    for result in figures["results"]:
        warm, cold = result["phases"]
        assert (warm["phase"], cold["phase"]) == ("warm", "cold")
        assert warm["turns"] == cold["turns"] == 2 * result["avatars"]
        assert {"blob_reads", "uploads", "edit_latency"} <= set(warm)


def test_startup_times_each_database_state(tmp_path: Path) -> None:
    figures = run_quick(startup.main, "startup", tmp_path)

    rows = figures["results"]
    assert rows[0]["bot"] == "baseline"
    assert {r["state"] for r in rows[1:]} == {"fresh", "empty", "200"}
    assert all(set(r["phases"]) == {"to_get_me", "post_init", "to_polling"} for r in rows)


def test_ledger_measures_submissions_and_keeps_balances_equal_to_ledger_sums(
    tmp_path: Path,
) -> None:
    figures = run_quick(ledger.main, "ledger", tmp_path)

    for row in figures["results"]:
        assert row["completed"] > 0
        assert row["invariants"]["balances_equal_ledger_sums"]
    submits = [r for r in figures["results"] if r["operation"] == "submit"]
    assert all(r["invariants"]["generations"] == r["completed"] for r in submits)


def test_intake_reports_peak_rise_for_bombs_and_photos_at_once(tmp_path: Path) -> None:
    figures = run_quick(intake.main, "intake", tmp_path)

    rows = figures["results"]
    assert {r["case"] for r in rows} == {"bombs", "photos"}
    for row in rows:
        assert row["peak_rss_bytes"] >= row["rss_before_bytes"] > 0
        assert len(row["outcomes"]) == figures["plan"]["at_once"]
        assert {"rise_bytes", "wall_seconds", "loop_max_stall_seconds"} <= set(row)
    assert figures["model"]
    for case in figures["model"]:
        assert case["outcome"] == "PreparedImage"
        assert {"measured_rise_bytes", "modelled_bytes", "measured_over_modelled"} <= set(case)


def test_recovery_reports_restart_and_worker_death_with_default_settings(tmp_path: Path) -> None:
    figures = run_quick(recovery.main, "recovery", tmp_path)

    assert figures["settings"]["job_lease_seconds"] > 0
    scenarios = {(r["scenario"], r["database"]) for r in figures["results"]}
    assert {("restart → avatar", "sqlite"), ("restart → refund", "sqlite")} <= scenarios
    for row in figures["results"]:
        assert row["seconds"][row["promise_interval"]]["n"] == figures["plan"]["repeats"]
        assert "meets_promise" in row


def test_flood_times_another_users_help_during_a_button_flood(tmp_path: Path) -> None:
    figures = run_quick(flood.main, "flood", tmp_path)

    for row in figures["results"]:
        assert row["help_latency"]["n"] == figures["plan"]["others"] * figures["plan"]["helps_each"]
        assert {"messages_to_flooder", "callback_answers", "meets_target"} <= set(row)


def test_broadcast_measures_a_burst_alone_and_during_a_broadcast(tmp_path: Path) -> None:
    figures = run_quick(broadcast.main, "broadcast", tmp_path)

    for row in figures["results"]:
        assert row["burst_alone_seconds"] > 0 and row["burst_during_broadcast_seconds"] > 0
        assert row["copies_during_burst"] > 0
        assert "Broadcast finished" in row["broadcast_report"]
    assert "sqlite" in databases_of(figures["results"])
