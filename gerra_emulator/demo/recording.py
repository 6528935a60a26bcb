"""Simulated teleoperation sessions: joint trajectories and camera frames per episode.

A `Recording` contains what a robot logged, as arrays, before it is written in a
LeRobot layout. Defects edit a recording (drop rows, blank values) before it is
serialised, so the files stay consistent with each other except for the defect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gerra_emulator.demo.video import render_marker_frames


@dataclass(frozen=True)
class Robot:
    """A robot arm: its LeRobot `robot_type`, joint names and joint limits (degrees, gripper in percent)."""

    robot_type: str
    joint_names: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @property
    def dof(self) -> int:
        return len(self.joint_names)


SO100 = Robot(
    robot_type="so100",
    joint_names=(
        "main_shoulder_pan",
        "main_shoulder_lift",
        "main_elbow_flex",
        "main_wrist_flex",
        "main_wrist_roll",
        "main_gripper",
    ),
    lower=(-110.0, -10.0, -5.0, -95.0, -160.0, 0.0),
    upper=(110.0, 190.0, 185.0, 95.0, 160.0, 100.0),
)

KOCH = Robot(
    robot_type="koch",
    joint_names=(
        "shoulder_pan.pos",
        "shoulder_lift.pos",
        "elbow_flex.pos",
        "wrist_flex.pos",
        "wrist_roll.pos",
        "gripper.pos",
    ),
    lower=(-90.0, -20.0, -10.0, -100.0, -150.0, 0.0),
    upper=(90.0, 170.0, 180.0, 100.0, 150.0, 100.0),
)

CAMERA_COLORS = {
    "front": ((70, 90, 120), (230, 60, 50)),
    "wrist": ((120, 100, 80), (250, 200, 40)),
    "top": ((60, 110, 70), (240, 240, 240)),
}


@dataclass
class Episode:
    """One episode's rows.

    `capture_frames` are the frame numbers of the camera clock, so a timestamp is
    `capture_frames / fps`; they run 0, 1, 2, ... unless frames were dropped.
    `state` and `action` are (rows, dof) float32 arrays.
    """

    index: int
    task_index: int
    capture_frames: np.ndarray
    state: np.ndarray
    action: np.ndarray

    @property
    def length(self) -> int:
        return len(self.capture_frames)

    def timestamps(self, fps: int) -> np.ndarray:
        return (self.capture_frames / fps).astype(np.float32)


@dataclass
class Recording:
    """A teleoperation session: robot, frame rate, tasks, camera names and episodes in order."""

    robot: Robot
    fps: int
    tasks: list[str]
    cameras: tuple[str, ...]
    episodes: list[Episode]
    frame_width: int = 96
    frame_height: int = 72

    @property
    def total_frames(self) -> int:
        return sum(episode.length for episode in self.episodes)


def simulate_recording(
    rng: np.random.Generator,
    robot: Robot,
    tasks: list[str],
    cameras: tuple[str, ...],
    lengths: list[int],
    fps: int = 30,
) -> Recording:
    """Simulate one episode per entry of `lengths` (rows), cycling through `tasks`."""
    episodes = []
    for index, length in enumerate(lengths):
        state, action = _reach_and_return(rng, robot, length)
        episodes.append(
            Episode(
                index=index,
                task_index=index % len(tasks),
                capture_frames=np.arange(length, dtype=np.int64),
                state=state,
                action=action,
            )
        )
    return Recording(robot=robot, fps=fps, tasks=list(tasks), cameras=tuple(cameras), episodes=episodes)


def _reach_and_return(rng: np.random.Generator, robot: Robot, length: int) -> tuple[np.ndarray, np.ndarray]:
    # Each joint moves from a start pose to a target and back (a raised cosine),
    # with a small wobble and sensor noise so no joint is ever constant.
    lower = np.asarray(robot.lower)
    upper = np.asarray(robot.upper)
    span = upper - lower
    phase = np.linspace(0.0, 1.0, length)[:, None]
    profile = 0.5 - 0.5 * np.cos(2 * np.pi * phase)
    start = lower + span * rng.uniform(0.35, 0.65, robot.dof)
    target = start + span * rng.uniform(-0.2, 0.2, robot.dof)
    wobble = 0.01 * span * np.sin(2 * np.pi * (phase * rng.uniform(1.0, 3.0, robot.dof) + rng.uniform(0, 1, robot.dof)))
    state = start + (target - start) * profile + wobble + rng.normal(0.0, 0.001, (length, robot.dof)) * span
    # The gripper closes mid-episode and opens again.
    state[:, -1] = lower[-1] + span[-1] * (0.8 - 0.7 * profile[:, 0]) + rng.normal(0.0, 0.3, length)
    state = np.clip(state, lower, upper)
    # The leader arm runs two frames ahead of the follower's measured position.
    lead = np.concatenate([state[2:], np.repeat(state[-1:], 2, axis=0)])
    action = np.clip(lead + rng.normal(0.0, 0.002, (length, robot.dof)) * span, lower, upper)
    return state.astype(np.float32), action.astype(np.float32)


def camera_frames(recording: Recording, episode: Episode, camera: str) -> np.ndarray:
    """Render a camera's frames for an episode: a marker that follows the commanded joints.

    Frames follow `action`, which never contains NaN, so a defect in `state` does
    not change the video.
    """
    robot = recording.robot
    lower = np.asarray(robot.lower, dtype=np.float32)
    upper = np.asarray(robot.upper, dtype=np.float32)
    unit = (episode.action - lower) / (upper - lower)
    offset = recording.cameras.index(camera)
    positions = np.stack([unit[:, offset % robot.dof], unit[:, (offset + 2) % robot.dof]], axis=1)
    sizes = 6 + 10 * unit[:, -1]
    background, marker = CAMERA_COLORS.get(camera, ((90, 90, 90), (255, 255, 255)))
    return render_marker_frames(
        positions, sizes, recording.frame_width, recording.frame_height, background=background, marker=marker
    )
