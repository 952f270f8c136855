"""Read pike-mix run directories (training/README.md, "Run directory") into plain lists for plotting.

Standard library only; the notebooks import it, and `python3 notebooks/pikeruns.py RUN...` prints a JSON
summary of each run (what the cluster test compares against the files).

    run = Run("runs/demo/pike")
    steps, loss = run.loss_curve()                    # training loss per step (the mixed batch)
    steps, w = run.weights_in_force()                  # w[t][k]: the weights that composed step t
    step, names, cos = run.cosine()                    # K x K cosine of the mean gradients, last statistics step
    run.pairwise_cosine()                              # {"a-b": (steps, cosines)} over time (Fig. 2 right / 5)
    run.epochs_consumed()                              # (steps, {domain: epochs}): rows drawn / training rows
    run.evaluation()                                   # eval.json (perplexity, cloze accuracy, downstream tasks)
    run.steps_to_reach(other.final_val_mean())          # the paper's "x times faster" measure
"""
import json
import math
import os
import sys


def read_jsonl(path):
    """Every JSON line of a file ([] when it does not exist)."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class Run:
    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
            self.config = json.load(f)
        self.name = os.path.basename(os.path.normpath(path))
        self.domains = self.config["domains"]
        self.strategy = self.config["train"]["strategy"]
        self.metrics = read_jsonl(os.path.join(path, "metrics.jsonl"))
        self.val = read_jsonl(os.path.join(path, "val.jsonl"))
        self.stats = read_jsonl(os.path.join(path, "stats.jsonl"))
        self.weights = read_jsonl(os.path.join(path, "weights.jsonl"))
        self.workers = read_jsonl(os.path.join(path, "workers.jsonl"))    # distributed runs only

    def loss_curve(self):
        return [m["step"] for m in self.metrics], [m["loss"] for m in self.metrics]

    def domain_loss_curves(self):
        """{domain: (steps, losses)} over the steps where the batch had rows of that domain."""
        out = {}
        for k, d in enumerate(self.domains):
            pts = [(m["step"], m["domain_loss"][k]) for m in self.metrics if m["domain_loss"][k] is not None]
            out[d] = ([s for s, _ in pts], [v for _, v in pts])
        return out

    def weights_in_force(self):
        return [m["step"] for m in self.metrics], [m["weights"] for m in self.metrics]

    def weight_changes(self):
        """(step from which the weights apply, cause, weights) per line of weights.jsonl."""
        return [(w["step"], w["cause"], w["weights"]) for w in self.weights]

    def cosine(self, step=None):
        """The cosine matrix of the last statistics step (or of `step`): (step, domains, K x K)."""
        rows = [s for s in self.stats if step is None or s["step"] == step]
        if not rows:
            return None, self.domains, None
        s = rows[-1]
        return s["step"], s["domains"], s["cosine"]

    def mean_offdiagonal_cosine(self):
        """Per statistics step, the mean cosine over domain pairs k < l (Fig. 2's summary)."""
        steps, values = [], []
        for s in self.stats:
            c = s["cosine"]
            pairs = [c[k][l] for k in range(len(c)) for l in range(k + 1, len(c)) if c[k][l] is not None]
            if pairs:
                steps.append(s["step"])
                values.append(sum(pairs) / len(pairs))
        return steps, values

    def pairwise_cosine(self):
        """{"k-l": (steps, cosines)} for every domain pair k < l over the statistics steps (None values dropped);
        the quantity of `pike eval --plots`' cosine.png."""
        out = {}
        K = len(self.domains)
        for k in range(K):
            for l in range(k + 1, K):
                pts = [(s["step"], s["cosine"][k][l]) for s in self.stats if s["cosine"][k][l] is not None]
                out[f"{self.domains[k]}-{self.domains[l]}"] = ([p for p, _ in pts], [v for _, v in pts])
        return out

    def train_rows(self):
        """Training rows (packed sequences) per domain from the dataset's dataset.json, or None if it is unreadable."""
        path = os.path.join(self.config["train"]["dataset"], "dataset.json")
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as f:
            info = json.load(f)
        by_name = {d["name"]: d["splits"]["train"]["sequences"] for d in info["domains"]}
        return [by_name[d] for d in self.domains]

    def epochs_consumed(self):
        """(steps, {domain: epochs}) with epochs = rows drawn so far (metrics counts) / training rows; the quantity of
        `pike eval --plots`' epochs.png. None when the dataset is unreadable."""
        rows = self.train_rows()
        if rows is None:
            return None
        steps, out = [], {d: [] for d in self.domains}
        drawn = [0] * len(self.domains)
        for m in self.metrics:
            steps.append(m["step"])
            for k, d in enumerate(self.domains):
                drawn[k] += m["counts"][k]
                out[d].append(drawn[k] / rows[k])
        return steps, out

    def evaluation(self):
        """eval.json as written by `pike eval --run` (None before it ran)."""
        path = os.path.join(self.path, "eval.json")
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def val_curves(self):
        """(steps, mean, worst, {domain: losses}) of the validation losses written during training."""
        steps = [v["step"] for v in self.val]
        per = {d: [v["val_loss"][k] for v in self.val] for k, d in enumerate(self.domains)}
        return steps, [v["mean"] for v in self.val], [v["worst"] for v in self.val], per

    def final_val_mean(self):
        return self.val[-1]["mean"] if self.val else math.nan

    def steps_to_reach(self, target_mean):
        """First validation step whose mean loss is <= target, or None."""
        for v in self.val:
            if v["mean"] <= target_mean:
                return v["step"]
        return None

    def worker_losses(self):
        """Distributed runs: {worker: (steps, its share's loss)} from workers.jsonl (one line per worker and round)."""
        out = {}
        for r in self.workers:
            steps, losses = out.setdefault(r["worker"], ([], []))
            for s, l in zip(r["steps"], r["loss"]):
                if l is not None:
                    steps.append(s)
                    losses.append(l)
        return out

    def summary(self):
        steps, loss = self.loss_curve()
        stat_step, _, cos = self.cosine()
        return {
            "run": self.name, "strategy": self.strategy, "domains": self.domains, "steps": len(steps),
            "first_loss": loss[0] if loss else None, "last_loss": loss[-1] if loss else None,
            "weights_last_step": self.weights_in_force()[1][-1] if steps else None,
            "weight_changes": len(self.weights), "statistics_steps": [s["step"] for s in self.stats],
            "last_cosine_step": stat_step, "last_cosine": cos,
            "workers": sorted(self.worker_losses().keys()),
            "final_val_mean": None if math.isnan(self.final_val_mean()) else self.final_val_mean(),
        }


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python3 notebooks/pikeruns.py RUN [RUN...]")
    print(json.dumps([Run(p).summary() for p in sys.argv[1:]], allow_nan=False))   # strict JSON: null, never NaN
