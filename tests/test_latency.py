"""Tests of the latency area (environment fingerprint so far)."""

from __future__ import annotations

import json
import sys

from diagtools._environment import environment_fingerprint


def test_environment_fingerprint_is_json_and_matches_interpreter():
    fp = environment_fingerprint()
    assert fp["python"] == sys.version.split()[0]
    assert fp["logical_cores"] >= fp["usable_cores"] >= 1
    assert fp["libraries"]["numpy"] is not None
    json.dumps(fp)
