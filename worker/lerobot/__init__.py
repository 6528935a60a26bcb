"""LeRobot dataset layouts (v2.0, v2.1, v3.0): info.json, episodes metadata and frame data."""
