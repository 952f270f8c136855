"""Drives a running service through pike_client for a few steps (used by the Java test PythonClientTest):
python3 tests/smoke.py URL STEPS -> prints the manifests' weights and the final weights as JSON."""
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from pike_client import MixerClient, MixerError, estimate  # noqa: E402

url, steps = sys.argv[1], int(sys.argv[2])
mixer = MixerClient(url, ready_timeout=5, connect_timeout=5)
rnd = random.Random(1)
seen = []
for step in range(steps):
    m = mixer.manifest(step)
    seen.append(m["weights"])
    if m["wants_statistics"]:
        grads = [[[rnd.gauss(0.3 * (k + 1), 0.5 + k) for _ in range(20)] for _ in range(3)] for k in range(len(m["weights"]))]
        r = mixer.report(step, estimate(grads, [4] * len(grads), [3.0] * len(grads)))
        assert r["closed"], r
try:
    mixer.report(0, estimate([[[1.0, 2.0], [2.0, 1.0]]] * len(seen[0]), [1] * len(seen[0])))
    raise SystemExit("a late report was accepted")
except MixerError as e:
    assert e.status == 409 and e.code == "closed", e
print(json.dumps({"weights": seen, "final": mixer.weights()["weights"]}))
