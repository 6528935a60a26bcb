"""Telemetry deliveries: a six-joint arm's sensor log as Parquet and CSV tables.

Each table has a `timestamp` column (seconds since the start of the log) sampled
at `RATE_HZ`. `joints.parquet` contains joint positions (rad) and motor
currents (A), and `temperatures.csv` contains motor temperatures (deg C). `channels.json`
documents each channel's unit and its physical range, which a sane log stays
within.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

RATE_HZ = 100
TIME_COLUMN = "timestamp"
JOINT_COUNT = 6
POSITION_RANGE_RAD = (-2 * np.pi, 2 * np.pi)
CURRENT_RANGE_A = (-10.0, 10.0)
TEMPERATURE_RANGE_C = (0.0, 85.0)


def position_column(joint: int) -> str:
    return f"joint_{joint}_pos_rad"


def current_column(joint: int) -> str:
    return f"joint_{joint}_current_a"


def temperature_column(joint: int) -> str:
    return f"joint_{joint}_temp_c"


def simulate_arm_log(
    rng: np.random.Generator, seconds: float, rate_hz: int = RATE_HZ
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate pick-and-place cycles; return the joints table and the temperatures table."""
    rows = int(round(seconds * rate_hz))
    time_s = np.arange(rows) / rate_hz
    joints: dict[str, np.ndarray] = {TIME_COLUMN: time_s}
    temperatures: dict[str, np.ndarray] = {TIME_COLUMN: time_s}
    cycle_s = rng.uniform(3.5, 5.0)
    for joint in range(1, JOINT_COUNT + 1):
        amplitude = rng.uniform(0.3, 1.4)
        offset = rng.uniform(-0.5, 0.5)
        phase = rng.uniform(0, 2 * np.pi)
        angle = 2 * np.pi * time_s / cycle_s + phase
        position = offset + amplitude * np.sin(angle) + rng.normal(0, 0.002, rows)
        # Motor current follows the joint's acceleration plus a constant gravity load.
        acceleration = -amplitude * (2 * np.pi / cycle_s) ** 2 * np.sin(angle)
        current = 0.8 * acceleration + rng.uniform(-1.5, 1.5) + rng.normal(0, 0.05, rows)
        temperature = rng.uniform(30, 38) + 4 * (1 - np.exp(-time_s / 60)) + rng.normal(0, 0.05, rows)
        joints[position_column(joint)] = position
        joints[current_column(joint)] = current
        temperatures[temperature_column(joint)] = temperature
    joint_frame = pd.DataFrame(joints)
    ordered = [TIME_COLUMN] + [position_column(j) for j in range(1, JOINT_COUNT + 1)]
    ordered += [current_column(j) for j in range(1, JOINT_COUNT + 1)]
    return joint_frame[ordered], pd.DataFrame(temperatures)


def channel_catalog(rate_hz: int = RATE_HZ) -> dict:
    """Describe every channel's unit and physical range, as the vendor documents them."""
    channels = {TIME_COLUMN: {"unit": "s", "description": "seconds since the start of the log"}}
    for joint in range(1, JOINT_COUNT + 1):
        channels[position_column(joint)] = {"unit": "rad", "min": POSITION_RANGE_RAD[0], "max": POSITION_RANGE_RAD[1]}
        channels[current_column(joint)] = {"unit": "A", "min": CURRENT_RANGE_A[0], "max": CURRENT_RANGE_A[1]}
        channels[temperature_column(joint)] = {
            "unit": "degC",
            "min": TEMPERATURE_RANGE_C[0],
            "max": TEMPERATURE_RANGE_C[1],
        }
    return {"rate_hz": rate_hz, "tables": ["joints.parquet", "temperatures.csv"], "channels": channels}


def telemetry_members(joints: pd.DataFrame, temperatures: pd.DataFrame, rate_hz: int = RATE_HZ) -> dict[str, bytes]:
    """Serialise the two tables and `channels.json`."""
    parquet = io.BytesIO()
    joints.to_parquet(parquet, engine="pyarrow", index=False, compression="snappy")
    csv = temperatures.to_csv(index=False, float_format="%.4f", lineterminator="\n")
    return {
        "joints.parquet": parquet.getvalue(),
        "temperatures.csv": csv.encode(),
        "channels.json": (json.dumps(channel_catalog(rate_hz), indent=2) + "\n").encode(),
    }
