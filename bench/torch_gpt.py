#!/usr/bin/env python3
"""PyTorch reference of pike-mix's SameDiff GPT (training/GptModel.java) for bench/train.

Same architecture: tied token embedding, pre-LayerNorm blocks (no biases, eps 1e-6), causal multi-head attention
with per-head qk-LayerNorm and rotary embeddings (rotate-half), 4x GELU MLP, final LayerNorm, softmax
cross-entropy. GELU is the sigmoid form x*sigmoid(1.702x): ND4J's `gelu` (SameDiff's sd.nn().gelu and the engine)
computes that, not the tanh form, so this file uses it too and both sides of bench/train are one model; same init (N(0, 0.02), residual projections / sqrt(2L)); AdamW(0.95, 0.98, wd 0.1 on matrices),
global clip 1.0. Random tokens, fixed batch; prints
  RESULT tokens_per_s=... peak_rss_mb=... ms_per_step=...
Usage: torch_gpt.py VOCAB CONTEXT LAYERS HEADS WIDTH BATCH WARMUP STEPS [THREADS]
"""
import math
import resource
import sys
import time

import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, C, H, L):
        super().__init__()
        D = C // H
        self.H, self.D = H, D
        self.ln1 = torch.nn.Parameter(torch.ones(C))
        self.ln2 = torch.nn.Parameter(torch.ones(C))
        self.q_norm = torch.nn.Parameter(torch.ones(D))
        self.k_norm = torch.nn.Parameter(torch.ones(D))
        std, res = 0.02, 0.02 / math.sqrt(2 * L)
        self.wq = torch.nn.Parameter(torch.randn(C, C) * std)
        self.wk = torch.nn.Parameter(torch.randn(C, C) * std)
        self.wv = torch.nn.Parameter(torch.randn(C, C) * std)
        self.wo = torch.nn.Parameter(torch.randn(C, C) * res)
        self.w_fc = torch.nn.Parameter(torch.randn(C, 4 * C) * std)
        self.w_proj = torch.nn.Parameter(torch.randn(4 * C, C) * res)

    def forward(self, x, cos, sin, mask):                  # x: [B, T, C]
        B, T, C = x.shape
        h = F.layer_norm(x, (C,), self.ln1, None, 1e-6)
        q = F.layer_norm((h @ self.wq).view(B, T, self.H, self.D), (self.D,), self.q_norm, None, 1e-6)
        k = F.layer_norm((h @ self.wk).view(B, T, self.H, self.D), (self.D,), self.k_norm, None, 1e-6)
        v = (h @ self.wv).view(B, T, self.H, self.D)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))     # [B, H, T, D]
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.D) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ self.wo
        h = F.layer_norm(x, (C,), self.ln2, None, 1e-6)
        return x + gelu(h @ self.w_fc) @ self.w_proj


def gelu(x):                                                # ND4J's gelu: x * sigmoid(1.702 x)
    return x * torch.sigmoid(1.702 * x)


def rope(x, cos, sin):                                      # x: [B, T, H, D]
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class Gpt(torch.nn.Module):
    def __init__(self, V, T, L, H, C):
        super().__init__()
        self.wte = torch.nn.Parameter(torch.randn(V, C) * 0.02)
        self.blocks = torch.nn.ModuleList(Block(C, H, L) for _ in range(L))
        self.ln_f = torch.nn.Parameter(torch.ones(C))
        D = C // H
        i = torch.arange(D) % (D // 2)
        angle = torch.arange(T)[:, None] * (10000.0 ** (-2.0 * i / D))[None, :]      # [T, D]
        self.register_buffer("cos", angle.cos()[None, :, None, :])
        self.register_buffer("sin", angle.sin()[None, :, None, :])
        self.register_buffer("mask", torch.triu(torch.full((T, T), -1e9), diagonal=1))

    def forward(self, ids, targets):
        x = self.wte[ids]
        for b in self.blocks:
            x = b(x, self.cos, self.sin, self.mask)
        x = F.layer_norm(x, (x.shape[-1],), self.ln_f, None, 1e-6)
        logits = x @ self.wte.t()
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def main():
    V, T, L, H, C, B, warm, steps = (int(a) for a in sys.argv[1:9])
    threads = int(sys.argv[9]) if len(sys.argv) > 9 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = Gpt(V, T, L, H, C)
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.95, 0.98), eps=1e-8)
    gen = torch.Generator().manual_seed(7)
    for s in range(warm + steps):
        if s == warm:
            t0 = time.perf_counter()
        rows = torch.randint(0, V, (B, T + 1), generator=gen)
        loss = model(rows[:, :-1], rows[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if s % 10 == 0:
            print(f"step {s} loss {loss.item():.4f}", file=sys.stderr)
    secs = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"RESULT tokens_per_s={steps * B * T / secs:.0f} peak_rss_mb={rss_mb} ms_per_step={secs * 1000 / steps:.1f}")


if __name__ == "__main__":
    main()
