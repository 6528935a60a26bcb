"""Fault injection settings and the engine that decides which request gets which fault.

`FaultOptions` is the flat form used by ``gerra-emulator serve`` options,
`EmulatorServer(**faults)` and the control surface. It expands into a list of
`FaultRule`s; callers that need finer targeting (different faults on different
endpoints) pass extra rules in `FaultOptions.rules`.

Decisions are drawn from one `random.Random(seed)`, so the same seed and the
same sequence of requests inject the same faults.
"""

from __future__ import annotations

import enum
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gerra_emulator.catalog import UUID_PATTERN
from gerra_emulator.signing import DEFAULT_URL_LIFETIME_S

DEFAULT_ERROR_STATUSES = (500, 502, 503, 504)
DEFAULT_DELAY_S = 10.0
DEFAULT_RETRY_AFTER_S = 1
DEFAULT_CUT_FRACTION = 0.5
DEFAULT_LENGTH_DELTA_BYTES = 1024
DEFAULT_FLIPPED_BYTES = 16

Rate = Annotated[float, Field(ge=0.0, le=1.0)]
DatasetId = Annotated[str, Field(pattern=UUID_PATTERN)]


class Endpoint(enum.StrEnum):
    """Names of the API operations that faults can target and counters count."""

    LIST_DATASETS = "list_datasets"
    GET_DATASET = "get_dataset"
    STATS = "stats"
    ITERATIONS = "iterations"
    ACCEPT = "accept"
    REJECT = "reject"
    DOWNLOAD = "download"


class FaultKind(enum.StrEnum):
    """Kind of injected fault."""

    HTTP_ERROR = "http_error"
    RATE_LIMIT = "rate_limit"
    DELAY = "delay"
    DROP_CONNECTION = "drop_connection"
    GATEWAY_REFUSAL = "gateway_refusal"
    LOST_RESPONSE = "lost_response"
    DOWNLOAD_CUT = "download_cut"
    DOWNLOAD_SHORT = "download_short"
    DOWNLOAD_LONG = "download_long"
    DOWNLOAD_TRUNCATED = "download_truncated"
    DOWNLOAD_PADDED = "download_padded"
    DOWNLOAD_CORRUPT = "download_corrupt"


ALL_ENDPOINTS = frozenset(Endpoint)
DECISION_ENDPOINTS = frozenset({Endpoint.ACCEPT, Endpoint.REJECT})
DOWNLOAD_ENDPOINTS = frozenset({Endpoint.DOWNLOAD})

REQUEST_KINDS = (FaultKind.RATE_LIMIT, FaultKind.HTTP_ERROR, FaultKind.DROP_CONNECTION, FaultKind.GATEWAY_REFUSAL)
WIRE_KINDS = (FaultKind.DOWNLOAD_CUT, FaultKind.DOWNLOAD_SHORT, FaultKind.DOWNLOAD_LONG)
OBJECT_KINDS = (FaultKind.DOWNLOAD_TRUNCATED, FaultKind.DOWNLOAD_PADDED, FaultKind.DOWNLOAD_CORRUPT)

KIND_ENDPOINTS: dict[FaultKind, frozenset[Endpoint]] = {
    FaultKind.HTTP_ERROR: ALL_ENDPOINTS,
    FaultKind.RATE_LIMIT: ALL_ENDPOINTS,
    FaultKind.DELAY: ALL_ENDPOINTS,
    FaultKind.DROP_CONNECTION: ALL_ENDPOINTS,
    FaultKind.GATEWAY_REFUSAL: ALL_ENDPOINTS,
    FaultKind.LOST_RESPONSE: DECISION_ENDPOINTS,
    **{kind: DOWNLOAD_ENDPOINTS for kind in (*WIRE_KINDS, *OBJECT_KINDS)},
}


class FaultRule(BaseModel):
    """One fault, where it applies and how often it fires."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    rate: Rate = Field(1.0, description="Probability (0-1) that a matching request gets the fault.")
    every: int | None = Field(None, ge=1, description="Fire on every Nth matching request instead of at random.")
    endpoints: frozenset[Endpoint] | None = Field(None, description="Endpoints the rule applies to; None for all.")
    dataset_ids: frozenset[DatasetId] | None = Field(
        None, description="Datasets the rule applies to; None for every request, including list and stats."
    )
    limit: int | None = Field(None, ge=1, description="Maximum number of times the rule fires.")
    window_s: float | None = Field(
        None, gt=0, description="Fire only during this many seconds after the faults are set (real time)."
    )
    statuses: tuple[Annotated[int, Field(ge=500, le=599)], ...] = Field(
        DEFAULT_ERROR_STATUSES, min_length=1, description="http_error: statuses chosen from at random."
    )
    status: int | None = Field(
        None, description="lost_response: 502 or 504 as the response status; None closes the connection instead. "
        "gateway_refusal: 403 or 404 (403 when None)."
    )
    retry_after_s: int = Field(DEFAULT_RETRY_AFTER_S, ge=0, description="Retry-After of a 429 response, in seconds.")
    delay_s: float = Field(DEFAULT_DELAY_S, ge=0, description="Delay before handling the request, in seconds.")
    cut_fraction: float = Field(
        DEFAULT_CUT_FRACTION, ge=0, lt=1, description="download_cut: fraction of the body sent before the reset."
    )
    length_delta_bytes: int = Field(
        DEFAULT_LENGTH_DELTA_BYTES, ge=1, description="Bytes missing or added by short, long, truncated, padded."
    )
    flipped_bytes: int = Field(DEFAULT_FLIPPED_BYTES, ge=1, description="download_corrupt: bytes inverted.")

    @model_validator(mode="after")
    def _check_kind_fits(self) -> FaultRule:
        allowed = KIND_ENDPOINTS[self.kind]
        if self.endpoints is not None and not self.endpoints <= allowed:
            wrong = sorted(endpoint.value for endpoint in self.endpoints - allowed)
            raise ValueError(
                f"fault {self.kind.value} cannot apply to endpoints {wrong}; "
                f"it applies to {sorted(endpoint.value for endpoint in allowed)}"
            )
        if self.kind is FaultKind.LOST_RESPONSE and self.status not in (None, 502, 504):
            raise ValueError(f"lost_response status {self.status} must be 502, 504 or null (drop the connection)")
        if self.kind is FaultKind.GATEWAY_REFUSAL and self.status not in (None, 403, 404):
            raise ValueError(f"gateway_refusal status {self.status} must be 403, 404 or null (403)")
        return self

    def applies_to(self, endpoint: Endpoint, dataset_id: str | None) -> bool:
        """Tell whether a request to `endpoint` naming `dataset_id` is in this rule's scope."""
        if endpoint not in (self.endpoints or KIND_ENDPOINTS[self.kind]):
            return False
        if self.dataset_ids is None:
            return True
        return dataset_id is not None and dataset_id.lower() in {d.lower() for d in self.dataset_ids}


class FaultOptions(BaseModel):
    """Every fault setting, flat; each field is also a ``gerra-emulator serve`` option."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int | None = Field(
        None, description="Seed of the random generator behind rate-based faults; the same seed and "
        "request sequence give the same faults. Default: a random seed."
    )
    url_lifetime_s: float = Field(
        DEFAULT_URL_LIFETIME_S, gt=0, description="Lifetime of signed download URLs, in seconds (e.g. 5 to test expiry)."
    )
    hide_admin_review: bool = Field(
        False, description="Hide datasets in for_admin_review from every endpoint (404), as some Gerra deployments do."
    )
    fault_endpoints: list[Endpoint] | None = Field(
        None, description="Endpoints the rate-based faults apply to, one of: "
        + ", ".join(endpoint.value for endpoint in Endpoint) + ". Default: every endpoint a fault can affect."
    )
    fault_dataset_ids: list[DatasetId] | None = Field(
        None, description="Dataset ids the rate-based faults apply to; list and stats requests are then never faulted."
    )
    fault_limit: int | None = Field(None, ge=1, description="Maximum number of times each fault fires. Default: no limit.")
    error_rate: Rate = Field(0.0, description="Fraction (0-1) of requests that get a server error (5xx) response.")
    error_status: list[Annotated[int, Field(ge=500, le=599)]] = Field(
        list(DEFAULT_ERROR_STATUSES), min_length=1, description="Server error statuses chosen from at random (default 500 502 503 504)."
    )
    rate_limit_rate: Rate = Field(0.0, description="Fraction (0-1) of requests that get a 429 Too Many Requests response.")
    rate_limit_every: int | None = Field(None, ge=1, description="Respond 429 to every Nth request.")
    rate_limit_window_s: float | None = Field(
        None, gt=0, description="Respond 429 to every request during this many seconds after start (real time)."
    )
    retry_after_s: int = Field(DEFAULT_RETRY_AFTER_S, ge=0, description="Retry-After header of 429 responses, in seconds.")
    delay_rate: Rate = Field(0.0, description="Fraction (0-1) of requests held for --delay-s before handling.")
    delay_s: float = Field(DEFAULT_DELAY_S, ge=0, description="Delay of a delayed request, in seconds.")
    drop_rate: Rate = Field(
        0.0, description="Fraction (0-1) of requests whose connection is closed without any response."
    )
    gateway_refusal_rate: Rate = Field(
        0.0, description="Fraction (0-1) of requests that a proxy in front of the API rejects with an HTML "
        "--gateway-refusal-status page; the request never reaches the API."
    )
    gateway_refusal_status: Literal[403, 404] = Field(403, description="Status of a gateway refusal: 403 or 404.")
    lost_response_rate: Rate = Field(
        0.0, description="Fraction (0-1) of successful accept/reject calls that change the status but lose the response."
    )
    lost_response_mode: Literal["drop", "502", "504"] = Field(
        "drop", description="How a lost response looks: drop (close the connection), 502 or 504."
    )
    download_cut_rate: Rate = Field(
        0.0, description="Fraction (0-1) of downloads reset by the server partway through the body."
    )
    download_cut_fraction: float = Field(
        DEFAULT_CUT_FRACTION, ge=0, lt=1, description="Fraction (0-1) of the body sent before a cut download is reset."
    )
    download_short_rate: Rate = Field(
        0.0, description="Fraction (0-1) of downloads whose body ends --download-length-delta-bytes before "
        "Content-Length, followed by a closed connection."
    )
    download_long_rate: Rate = Field(
        0.0, description="Fraction (0-1) of downloads that send --download-length-delta-bytes more than Content-Length."
    )
    download_truncated_rate: Rate = Field(
        0.0, description="Fraction (0-1) of downloads that serve the archive minus its last "
        "--download-length-delta-bytes bytes, with a matching Content-Length."
    )
    download_padded_rate: Rate = Field(
        0.0, description="Fraction (0-1) of downloads that serve the archive plus --download-length-delta-bytes "
        "zero bytes, with a matching Content-Length."
    )
    download_length_delta_bytes: int = Field(
        DEFAULT_LENGTH_DELTA_BYTES, ge=1, description="Bytes missing or added by short, long, truncated and padded downloads."
    )
    corrupt_rate: Rate = Field(
        0.0, description="Fraction (0-1) of downloads whose archive bytes differ from the catalogued file."
    )
    corrupt_byte_count: int = Field(
        DEFAULT_FLIPPED_BYTES, ge=1, description="Number of bytes inverted in a corrupted download, spread evenly over the file."
    )
    supersede_after_get: list[DatasetId] = Field(
        [], description="Dataset ids that Gerra supersedes (creating the next version) right after the first get-dataset call."
    )
    discard_after_get: list[DatasetId] = Field(
        [], description="Dataset ids that Gerra discards right after the first get-dataset call."
    )
    accept_after_get: list[DatasetId] = Field(
        [], description="Dataset ids that another reviewer accepts right after the first get-dataset call."
    )
    rules: list[FaultRule] = Field(
        [], description="Extra fault rules as JSON objects, for targeting that the flat options cannot express."
    )

    def to_rules(self) -> list[FaultRule]:
        """Expand the flat options into rules, followed by the explicit `rules`."""
        scope = {
            "endpoints": frozenset(self.fault_endpoints) if self.fault_endpoints else None,
            "dataset_ids": frozenset(self.fault_dataset_ids) if self.fault_dataset_ids is not None else None,
            "limit": self.fault_limit,
        }
        expanded: list[FaultRule] = []

        def add(kind: FaultKind, rate: float = 1.0, **settings: object) -> None:
            endpoints = scope["endpoints"]
            if endpoints is not None:
                endpoints = endpoints & KIND_ENDPOINTS[kind]
                if not endpoints:
                    return
            expanded.append(FaultRule(kind=kind, rate=rate, **{**scope, "endpoints": endpoints, **settings}))

        if self.rate_limit_window_s is not None:
            add(FaultKind.RATE_LIMIT, window_s=self.rate_limit_window_s, retry_after_s=self.retry_after_s)
        if self.rate_limit_every is not None:
            add(FaultKind.RATE_LIMIT, every=self.rate_limit_every, retry_after_s=self.retry_after_s)
        if self.rate_limit_rate:
            add(FaultKind.RATE_LIMIT, self.rate_limit_rate, retry_after_s=self.retry_after_s)
        if self.error_rate:
            add(FaultKind.HTTP_ERROR, self.error_rate, statuses=tuple(self.error_status))
        if self.drop_rate:
            add(FaultKind.DROP_CONNECTION, self.drop_rate)
        if self.gateway_refusal_rate:
            add(FaultKind.GATEWAY_REFUSAL, self.gateway_refusal_rate, status=self.gateway_refusal_status)
        if self.delay_rate:
            add(FaultKind.DELAY, self.delay_rate, delay_s=self.delay_s)
        if self.lost_response_rate:
            status = None if self.lost_response_mode == "drop" else int(self.lost_response_mode)
            add(FaultKind.LOST_RESPONSE, self.lost_response_rate, status=status)
        delta = self.download_length_delta_bytes
        for kind, rate in (
            (FaultKind.DOWNLOAD_CUT, self.download_cut_rate),
            (FaultKind.DOWNLOAD_SHORT, self.download_short_rate),
            (FaultKind.DOWNLOAD_LONG, self.download_long_rate),
            (FaultKind.DOWNLOAD_TRUNCATED, self.download_truncated_rate),
            (FaultKind.DOWNLOAD_PADDED, self.download_padded_rate),
            (FaultKind.DOWNLOAD_CORRUPT, self.corrupt_rate),
        ):
            if rate:
                add(kind, rate, cut_fraction=self.download_cut_fraction, length_delta_bytes=delta,
                    flipped_bytes=self.corrupt_byte_count)
        return expanded + list(self.rules)

    def status_changes_after_get(self) -> dict[str, str]:
        """Map dataset id (lower case) to the status it takes after its first get-dataset call."""
        changes: dict[str, str] = {}
        for status, ids in (
            ("superseded", self.supersede_after_get),
            ("discarded", self.discard_after_get),
            ("accepted", self.accept_after_get),
        ):
            for dataset_id in ids:
                changes[dataset_id.lower()] = status
        return changes


@dataclass(frozen=True)
class RequestFault:
    """A fault that replaces the whole response of an API or download request."""

    kind: FaultKind
    status: int | None = None
    retry_after_s: int = DEFAULT_RETRY_AFTER_S


@dataclass(frozen=True)
class DownloadPlan:
    """Faults for one download: changes to the served object and to its transfer."""

    truncate_bytes: int = 0
    pad_bytes: int = 0
    flipped_bytes: int = 0
    wire: FaultRule | None = None

    @property
    def is_clean(self) -> bool:
        return not (self.truncate_bytes or self.pad_bytes or self.flipped_bytes or self.wire)


@dataclass
class _RuleState:
    matched: int = 0
    fired: int = 0


@dataclass
class FaultEngine:
    """Decide, request by request, which configured faults fire."""

    options: FaultOptions = field(default_factory=FaultOptions)

    def __post_init__(self) -> None:
        self.rules = self.options.to_rules()
        self._states = [_RuleState() for _ in self.rules]
        self._rng = random.Random(self.options.seed)
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._pending_changes = self.options.status_changes_after_get()
        self.fired: Counter[str] = Counter()

    def has_rules(self, kind: FaultKind) -> bool:
        """Tell whether any rule of `kind` is configured."""
        return any(rule.kind is kind for rule in self.rules)

    def request_delay(self, endpoint: Endpoint, dataset_id: str | None) -> float:
        """Return the seconds to hold this request before handling it (0 for none)."""
        rule = self._first_firing((FaultKind.DELAY,), endpoint, dataset_id)
        return rule.delay_s if rule else 0.0

    def request_fault(self, endpoint: Endpoint, dataset_id: str | None) -> RequestFault | None:
        """Return the fault that replaces this request's response, if any fires."""
        rule = self._first_firing(REQUEST_KINDS, endpoint, dataset_id)
        if rule is None:
            return None
        status = None
        if rule.kind is FaultKind.HTTP_ERROR:
            with self._lock:
                status = self._rng.choice(rule.statuses)
        elif rule.kind is FaultKind.GATEWAY_REFUSAL:
            status = rule.status or 403
        return RequestFault(rule.kind, status, rule.retry_after_s)

    def lost_response(self, endpoint: Endpoint, dataset_id: str | None) -> FaultRule | None:
        """Return the lost-response rule that fires for this accept or reject call, if any."""
        return self._first_firing((FaultKind.LOST_RESPONSE,), endpoint, dataset_id)

    def download_plan(self, dataset_id: str, *, include_wire: bool = True) -> DownloadPlan:
        """Decide the object faults and, unless excluded, the transfer fault of one download."""
        truncated = self._first_firing((FaultKind.DOWNLOAD_TRUNCATED,), Endpoint.DOWNLOAD, dataset_id)
        padded = None if truncated else self._first_firing((FaultKind.DOWNLOAD_PADDED,), Endpoint.DOWNLOAD, dataset_id)
        corrupt = self._first_firing((FaultKind.DOWNLOAD_CORRUPT,), Endpoint.DOWNLOAD, dataset_id)
        wire = self._first_firing(WIRE_KINDS, Endpoint.DOWNLOAD, dataset_id) if include_wire else None
        return DownloadPlan(
            truncate_bytes=truncated.length_delta_bytes if truncated else 0,
            pad_bytes=padded.length_delta_bytes if padded else 0,
            flipped_bytes=corrupt.flipped_bytes if corrupt else 0,
            wire=wire,
        )

    def take_status_change(self, dataset_id: str) -> str | None:
        """Return, once per dataset, the status it takes after its first get-dataset call."""
        with self._lock:
            return self._pending_changes.pop(dataset_id.lower(), None)

    def fired_counts(self) -> dict[str, int]:
        """Return how many times each kind of fault has fired."""
        with self._lock:
            return dict(self.fired)

    def record_fired(self, name: str) -> None:
        """Count a fault that the store applied itself."""
        with self._lock:
            self.fired[name] += 1

    def _first_firing(
        self, kinds: tuple[FaultKind, ...], endpoint: Endpoint, dataset_id: str | None
    ) -> FaultRule | None:
        """Return the first rule of `kinds` that fires, counting matches and firings."""
        now = time.monotonic()
        with self._lock:
            for rule, state in zip(self.rules, self._states, strict=True):
                if rule.kind not in kinds or not rule.applies_to(endpoint, dataset_id):
                    continue
                if rule.window_s is not None and now - self._started > rule.window_s:
                    continue
                if rule.limit is not None and state.fired >= rule.limit:
                    continue
                state.matched += 1
                if not self._fires(rule, state):
                    continue
                state.fired += 1
                self.fired[rule.kind.value] += 1
                return rule
        return None

    def _fires(self, rule: FaultRule, state: _RuleState) -> bool:
        if rule.every is not None:
            return state.matched % rule.every == 0
        if rule.rate >= 1.0:
            return True
        if rule.rate <= 0.0:
            return False
        return self._rng.random() < rule.rate
