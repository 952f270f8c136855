"""Python client of the pike-mix mixer service (standard library only).

    from pike_client import MixerClient, estimate
    mixer = MixerClient("http://127.0.0.1:8600")            # token=... when the service has --token-file
    for step in range(steps):
        batch = mixer.batch(step, worker=rank, workers=world)  # waits while the step is not ready
        ... train on batch.rows(), per domain batch.domain ...
        if batch.wants_statistics:
            mixer.report(step, estimate(grads, seqs_per_micro_batch, loss), worker=rank, workers=world)

`estimate` is the estimator of mixer's GradientStatsAccumulator (arXiv:2502.06244 §3.3, eq. (7)); for domain k
with m >= 2 micro-batch gradients g_1..g_m (each the mean over s sequences), g_bar their mean and
v = 1/(m-1) * sum_i ||g_i - g_bar||^2:

    mean_grad_norm_sq = ||g_bar||^2
    grad_norm_sq      = ||g_bar||^2 - v/m      (unbiased ||grad L_k||^2; may be <= 0)
    grad_var          = s * v                  (per-sequence variance sigma_k^2)

Run `python3 pike_client.py estimate FILE.json` to print the estimate of a file
{"grads": [[[...], ...] per domain], "seqs_per_micro_batch": [...], "loss": [...]} (used by the parity test).
"""
import json
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BATCH_MAGIC = b"PIKB"


class MixerError(Exception):
    """A refused request: HTTP status, the service's error code and message."""

    def __init__(self, status, code, message):
        super().__init__(f"mixer service: {status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class Batch:
    """Token rows of one step: row j is tokens[j*row_length:(j+1)*row_length], from domain domain[j]."""

    def __init__(self, step, row_length, domain, tokens, wants_statistics):
        self.step, self.row_length, self.domain, self.tokens = step, row_length, domain, tokens
        self.wants_statistics = wants_statistics

    def rows(self):
        L = self.row_length
        return [self.tokens[j * L:(j + 1) * L] for j in range(len(self.domain))]


class MixerClient:
    def __init__(self, url, token=None, ready_timeout=3600.0, connect_timeout=120.0):
        self.url = url.rstrip("/")
        self.token = token
        self.ready_timeout = ready_timeout
        self.connect_timeout = connect_timeout

    def _request(self, method, path, body=None, accept="application/json", write=False):
        data = None if body is None else json.dumps(body, allow_nan=False).encode()
        headers = {"Accept": accept}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if write and self.token:
            headers["Authorization"] = "Bearer " + self.token
        deadline, backoff = time.monotonic() + self.connect_timeout, 0.05
        while True:
            req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=90) as r:
                    return r.read(), r.headers
            except urllib.error.HTTPError as e:
                raw = e.read()
                try:
                    err = json.loads(raw)
                    raise MixerError(e.code, err.get("error"), err.get("message")) from None
                except ValueError:
                    raise MixerError(e.code, "http_%d" % e.code, raw.decode(errors="replace")) from None
            except urllib.error.URLError as e:
                # connection refused: nothing was sent, safe to retry (the service may be restarting)
                if not isinstance(e.reason, ConnectionRefusedError) or time.monotonic() + backoff > deadline:
                    raise MixerError(0, "unreachable", f"cannot reach {self.url}: {e.reason}") from None
                time.sleep(backoff)
                backoff = min(2.0, backoff * 2)

    def _ready(self, path, step, worker, workers, extra, accept):
        deadline = time.monotonic() + self.ready_timeout
        while True:
            wait = int(max(0, min(10.0, deadline - time.monotonic())) * 1000)
            q = urllib.parse.urlencode(dict(step=step, worker=worker, workers=workers, wait_ms=wait, **extra))
            try:
                return self._request("GET", f"{path}?{q}", accept=accept)
            except MixerError as e:
                if e.status != 425 or time.monotonic() >= deadline:
                    raise

    def manifest(self, step, worker=0, workers=1):
        """{"step", "wants_statistics", "weights", "counts", "epochs", "rows": [[domain, shard, row], ...], ...}"""
        body, _ = self._ready("/v1/manifest", step, worker, workers, {}, "application/json")
        return json.loads(body)

    def batch(self, step, worker=0, workers=1):
        """The step's token rows (binary format: 'PIKB', u32 version, i64 step, u32 rows, u32 row length, i32 domains, i32 tokens)."""
        body, headers = self._ready("/v1/batch", step, worker, workers, {"format": "binary"}, "application/vnd.pikemix.batch")
        return parse_batch(body, headers.get("X-Pike-Wants-Statistics", "false") == "true")

    def report(self, step, stats, worker=0, workers=1):
        """Posts estimate(...) output (one worker's statistics) for a trained step."""
        body = dict(stats, step=step, worker=worker, workers=workers)
        return json.loads(self._request("POST", "/v1/stats", body, write=True)[0])

    def weights(self):
        return json.loads(self._request("GET", "/v1/weights")[0])

    def history(self):
        return json.loads(self._request("GET", "/v1/weights/history")[0])

    def pin(self, weights, from_step=None):
        body = {"weights": list(weights)} if from_step is None else {"weights": list(weights), "from_step": from_step}
        return json.loads(self._request("PUT", "/v1/weights", body, write=True)[0])

    def release(self, from_step=None):
        body = {"release": True} if from_step is None else {"release": True, "from_step": from_step}
        return json.loads(self._request("PUT", "/v1/weights", body, write=True)[0])


def parse_batch(body, wants_statistics=False):
    if len(body) < 24 or body[:4] != BATCH_MAGIC:
        raise MixerError(200, "format", "the batch does not start with the PIKB header")
    version, step, rows, length = struct.unpack_from("<IqII", body, 4)
    if version != 1:
        raise MixerError(200, "format", f"batch format version {version}, this client reads 1")
    domain = list(struct.unpack_from(f"<{rows}i", body, 24))
    tokens = list(struct.unpack_from(f"<{rows * length}i", body, 24 + 4 * rows))
    return Batch(step, length, domain, tokens, wants_statistics)


def estimate(grads, seqs_per_micro_batch, loss=None):
    """Per-domain statistics from micro-batch gradients: grads[k][i] is domain k's i-th micro-batch gradient
    (a flat sequence of floats, the mean over seqs_per_micro_batch[k] sequences). Returns the body of POST /v1/stats
    without step/worker. Same estimator as mixer's GradientStatsAccumulator (Welford per coordinate)."""
    out = {"micro_batches": [], "sequences": [], "grad_norm_sq": [], "mean_grad_norm_sq": [], "grad_var": []}
    for k, gk in enumerate(grads):
        m, d = len(gk), len(gk[0])
        if m < 2:
            raise ValueError(f"domain {k} has {m} micro-batches; the variance estimate needs >= 2")
        mean, ssd = [0.0] * d, 0.0
        for i, g in enumerate(gk):                 # Welford: running mean and sum of squared deviations
            inv, dev = 1.0 / (i + 1), 0.0
            for j in range(d):
                x = float(g[j])
                delta = x - mean[j]
                mean[j] += delta * inv
                dev += delta * (x - mean[j])
            ssd += dev
        v = ssd / (m - 1)
        norm_sq = sum(x * x for x in mean)
        out["micro_batches"].append(m)
        out["sequences"].append(m * seqs_per_micro_batch[k])
        out["mean_grad_norm_sq"].append(norm_sq)
        out["grad_norm_sq"].append(norm_sq - v / m)
        out["grad_var"].append(seqs_per_micro_batch[k] * v)
    if loss is not None:
        out["loss"] = [float(x) for x in loss]
    return out


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "estimate":
        with open(sys.argv[2]) as f:
            case = json.load(f)
        print(json.dumps(estimate(case["grads"], case["seqs_per_micro_batch"], case.get("loss"))))
    else:
        print(__doc__)
