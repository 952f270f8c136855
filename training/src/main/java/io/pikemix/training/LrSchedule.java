package io.pikemix.training;

import io.pikemix.format.Checks;

/**
 * Learning-rate schedule of Table 6 (arXiv:2502.06244, Appendix D.5): linear warm-up from the initial to the
 * peak rate, then linear decay to the final rate at the last step.
 *
 *   lr(t) = init + (peak − init) · t / W                       for t < W
 *   lr(t) = peak + (final − peak) · (t − W) / max(1, S − 1 − W)  for W ≤ t < S
 *   lr(t) = final                                              for t ≥ S
 *
 * t = step (0-based), W = warmup steps, S = total steps. Table 6: init = final = 7e-6, peak = 7e-4,
 * W = 10,000, S = 120,000. Invariants: lr(0) = init, lr(W) = peak, lr(S − 1) = final (when S − 1 > W).
 */
public record LrSchedule(double init, double peak, double fin, long warmup, long total) {
    public LrSchedule {
        Checks.require(
                init >= 0 && peak > 0 && fin >= 0,
                "learning rates must be >= 0 (peak > 0): init %s, peak %s, final %s",
                init,
                peak,
                fin);
        Checks.require(warmup >= 0 && total > 0, "--warmup (%d) must be >= 0 and --steps (%d) > 0", warmup, total);
    }

    public double at(long t) {
        if (t < warmup) return init + (peak - init) * t / warmup;
        if (t >= total) return fin;
        return peak + (fin - peak) * (t - warmup) / Math.max(1, total - 1 - warmup);
    }
}
