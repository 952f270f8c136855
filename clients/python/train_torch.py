"""Train a small PyTorch GPT from the mixer service and feed PiKE its statistics (the path a GPU user takes).

    bin/pike mixer serve --dataset data/genres --state runs/svc --strategy pike --batch 32 --update-interval 10 &
    python3 clients/python/train_torch.py --url http://127.0.0.1:8600 --steps 300

Needs PyTorch (Debian: apt-get install python3-torch libopenblas0-pthread); pike_client.py itself needs only the
standard library. Each step: GET /v1/batch (token rows, row = context + 1 ids), one optimizer step on the whole
batch. At steps that want statistics (t mod T = 0) each domain's rows are split into m = 2 micro-batches; the
gradient of each micro-batch's mean loss is flattened and given to pike_client.estimate, the same estimator as
mixer's GradientStatsAccumulator:

    mean_grad_norm_sq = ||g_bar||^2,  grad_norm_sq = ||g_bar||^2 - v/m,  grad_var = s * v,
    v = 1/(m-1) sum_i ||g_i - g_bar||^2   (s = sequences per micro-batch)

and posted to /v1/stats; PiKE (Algorithm 1, arXiv:2502.06244 §3.3) then updates the weights used from step t+1.
A domain with fewer than 2 rows in a step (PiKE's 1e-6 weight floor can starve one) reuses its last estimate;
if there is none yet the step's report is skipped, and the service waits: use a --batch with >= 2 rows per domain.
"""
import argparse
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pike_client import MixerClient, estimate  # noqa: E402


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, mask):                          # x: [B, T, C]
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]   # [B, T, C]
        return x + self.mlp(self.ln2(x))                                     # [B, T, C]


class GPT(nn.Module):
    def __init__(self, vocab, context, d=128, layers=2, heads=4):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(context, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.wte.weight                   # tied embeddings
        self.apply(self._init)                               # GPT-2's N(0, 0.02): loss starts at ~ln(vocab)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx):                                  # idx: [B, T]
        T = idx.shape[1]
        mask = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        x = self.wte(idx) + self.wpe(torch.arange(T))        # [B, T, C]
        for b in self.blocks:
            x = b(x, mask)
        return self.head(self.ln(x))                         # [B, T, V]


def loss_of(model, rows):                                    # rows: [B, T+1]
    logits = model(rows[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), rows[:, 1:].reshape(-1))


def flat_grad(model):
    return torch.cat([p.grad.reshape(-1) for p in model.parameters() if p.grad is not None]).double().tolist()


def statistics(model, rows, domain, K, last):
    """Per-domain micro-batch gradients -> estimate(); a domain with < 2 rows this step reuses its last estimate."""
    grads, seqs, losses = [], [], []
    for k in range(K):
        idx = [j for j, d in enumerate(domain) if d == k]
        if len(idx) < 2:
            if last is None:
                return None
            grads.append(None); seqs.append(None); losses.append(None)
            continue
        s = len(idx) // 2
        gk, lk = [], 0.0
        for part in (idx[:s], idx[s:2 * s]):
            model.zero_grad()
            loss = loss_of(model, rows[part])
            loss.backward()
            gk.append(flat_grad(model))
            lk += loss.item() / 2
        grads.append(gk); seqs.append(s); losses.append(lk)
    present = [k for k in range(K) if grads[k] is not None]
    est = estimate([grads[k] for k in present], [seqs[k] for k in present], [losses[k] for k in present])
    out = {key: [None] * K for key in est}
    for i, k in enumerate(present):
        for key in est:
            out[key][k] = est[key][i]
    for k in range(K):
        if grads[k] is None:
            for key in est:
                out[key][k] = last[key][k]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8600")
    ap.add_argument("--token-file")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--worker", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    token = open(a.token_file).read().strip() if a.token_file else None
    mixer = MixerClient(a.url, token=token)
    info = mixer.weights()
    K = len(info["domains"])
    torch.manual_seed(1337)
    model, opt, last = None, None, None
    for step in range(a.steps):
        b = mixer.batch(step, a.worker, a.workers)
        if model is None:
            model = GPT(a.vocab, b.row_length - 1)
            opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.1)
        rows = torch.tensor(b.rows(), dtype=torch.long)      # [B, T+1]
        if b.wants_statistics:
            stats = statistics(model, rows, b.domain, K, last)
            if stats is not None:
                last = stats
                mixer.report(step, stats, a.worker, a.workers)
        model.zero_grad()
        loss = loss_of(model, rows)
        loss.backward()
        opt.step()
        if step % 10 == 0:
            w = mixer.weights()["weights"]
            print(f"step {step} | loss {loss.item():.3f} | w " + " ".join(f"{n} {x:.3f}" for n, x in zip(info["domains"], w)), flush=True)
    print("final weights:", mixer.weights()["weights"])


if __name__ == "__main__":
    main()
