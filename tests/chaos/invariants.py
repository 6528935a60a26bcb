"""What must hold after a chaos scenario; each function asserts one property of a `ChaosResult`."""

from __future__ import annotations

import re

from .deliveries import API_KEY
from .scenario import ChaosResult

FINAL_POST_STATES = {"posted", "already_ours", "decided_elsewhere"}
VERDICT_STATUS = {"accept": "accepted", "reject": "rejected"}
MAC_LENGTH = 64  # hex digits of an HMAC-SHA256
HEX_RUN = re.compile(r"[0-9a-f]{%d,}" % MAC_LENGTH)


def gated_ids(result: ChaosResult) -> list[str]:
    """Return the datasets our gate must decide: pending and unchanged, plus new versions."""
    unchanged = [dataset_id for dataset_id in result.catalog.pending_ids() if dataset_id not in result.changed]
    return unchanged + sorted(result.new_versions)


def assert_reference_has_both_verdicts(result: ChaosResult) -> None:
    statuses = sorted(set(result.reference.values()))
    assert statuses == ["accepted", "rejected"], result.reference


def assert_faults_fired(result: ChaosResult) -> None:
    for kind in ("http_error", "rate_limit", "delay", "drop_connection", "lost_response",
                 "download_cut", "download_short", "download_long", "download_corrupt"):
        assert result.faults_fired.get(kind, 0) > 0, (kind, result.faults_fired)
    assert result.kills_while_running >= 1, "no gate process was still running when it was killed"
    assert result.url_refreshes >= 1, "no download met an expired signed URL"


def assert_all_decided(result: ChaosResult) -> None:
    undecided = {d: result.final_status[d] for d in gated_ids(result) if result.final_status[d] not in VERDICT_STATUS.values()}
    assert undecided == {}, f"final statuses: {undecided}"


def assert_one_status_change_each(result: ChaosResult) -> None:
    counts = {dataset_id: result.calls.status_changes(dataset_id) for dataset_id in gated_ids(result)}
    wrong = {dataset_id: count for dataset_id, count in counts.items() if count != 1}
    assert wrong == {}, f"status changes: {wrong}"
    assert len(counts) == len(gated_ids(result))


def assert_verdicts_match_reference(result: ChaosResult) -> None:
    wrong = {
        dataset_id: (result.final_status[dataset_id], result.expected_status(dataset_id))
        for dataset_id in gated_ids(result)
        if result.final_status[dataset_id] != result.expected_status(dataset_id)
    }
    assert wrong == {}, f"final status, reference status: {wrong}"


def assert_reasons_match_reference(result: ChaosResult) -> None:
    # A new version's reason also judges it against its parent's results, so
    # only datasets of the catalog are compared.
    originals = [dataset_id for dataset_id in gated_ids(result) if dataset_id not in result.new_versions]
    rejected = [dataset_id for dataset_id in originals if result.reference[dataset_id] == "rejected"]
    assert rejected != []
    wrong = {
        dataset_id: (result.reasons.get(dataset_id), result.reference_reasons.get(dataset_id))
        for dataset_id in rejected
        if result.reasons.get(dataset_id) != result.reference_reasons.get(dataset_id)
    }
    assert wrong == {}, f"rejection reason, reference reason: {wrong}"


def assert_changed_decided_elsewhere(result: ChaosResult) -> None:
    assert len(result.changed) == 3 * result.plan.changes_per_kind
    for dataset_id, status in result.changed.items():
        assert result.final_status[dataset_id] == status, dataset_id
        assert result.calls.status_changes(dataset_id) == 0, dataset_id
        decision = result.decision(dataset_id)
        assert decision is not None, f"no decision recorded for {dataset_id}, changed to {status}"
        assert decision["post_state"] == "decided_elsewhere", (dataset_id, decision)
        assert decision["observed_status"] == status, (dataset_id, decision)


def assert_superseded_have_new_versions(result: ChaosResult) -> None:
    superseded = sorted(d for d, status in result.changed.items() if status == "superseded")
    assert sorted(result.new_versions.values()) == superseded


def assert_others_left_alone(result: ChaosResult) -> None:
    for dataset_id in result.catalog.untouchable_ids():
        assert result.final_status[dataset_id] == result.initial_status[dataset_id], dataset_id
        assert result.calls.status_changes(dataset_id) == 0, dataset_id
        assert result.decision(dataset_id) is None, dataset_id


def assert_store_has_one_final_decision_each(result: ChaosResult) -> None:
    rows = result.store["decisions"]
    expected = sorted(gated_ids(result) + list(result.changed))
    recorded = sorted(row["dataset_id"] for row in rows)
    assert recorded == expected, f"missing {sorted(set(expected) - set(recorded))}, extra {sorted(set(recorded) - set(expected))}"
    not_final = [row["dataset_id"] for row in rows if row["post_state"] not in FINAL_POST_STATES]
    assert not_final == []
    assert [row["dataset_id"] for row in rows if row["dry_run"]] == []
    for dataset_id in gated_ids(result):
        decision = result.decision(dataset_id)
        assert decision is not None
        assert decision["post_state"] in ("posted", "already_ours"), (dataset_id, decision)
        assert VERDICT_STATUS[decision["verdict"]] == result.final_status[dataset_id], (dataset_id, decision)


def assert_no_stuck_or_held(result: ChaosResult) -> None:
    held = [(row["id"], row["holds"], row["last_hold_cause"]) for row in result.store["datasets"] if row["holds"]]
    assert held == [], held
    assert result.store["leases"] == []


def assert_work_dir_empty(result: ChaosResult) -> None:
    assert result.work_files == [], result.work_files[:10]


def assert_no_secrets_written(result: ChaosResult) -> None:
    # A token is <base64 claims>.<hex MAC>, and only the MAC is secret: where
    # no MAC appears, no whole token does either. Matching the text's runs of
    # hex digits against the set of MACs keeps this fast for thousands of tokens.
    macs = {token.rpartition(".")[2] for token in result.tokens}
    assert len(macs) > 0
    assert any(name.endswith(".log") for name in result.texts)
    for name, text in result.texts.items():
        assert API_KEY not in text, f"the API key appears in {name}"
        leaked = leaked_macs(text, macs)
        assert leaked == set(), f"{len(leaked)} signed-URL tokens appear in {name}"


def leaked_macs(text: str, macs: set[str]) -> set[str]:
    """Return the MACs of `macs` that appear in `text`."""
    leaked: set[str] = set()
    for run in HEX_RUN.findall(text):
        if len(run) == MAC_LENGTH:
            leaked.update({run} & macs)
        else:
            leaked.update(mac for mac in macs if mac in run)
    return leaked


ALL = (
    assert_reference_has_both_verdicts,
    assert_faults_fired,
    assert_all_decided,
    assert_one_status_change_each,
    assert_verdicts_match_reference,
    assert_reasons_match_reference,
    assert_changed_decided_elsewhere,
    assert_superseded_have_new_versions,
    assert_others_left_alone,
    assert_store_has_one_final_decision_each,
    assert_no_stuck_or_held,
    assert_work_dir_empty,
    assert_no_secrets_written,
)
