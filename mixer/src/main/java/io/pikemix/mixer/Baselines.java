package io.pikemix.mixer;

import io.pikemix.format.Checks;
import java.util.SplittableRandom;

/**
 * Weights of the static baselines (§2.2, §4.1 of arXiv:2502.06244) and the task choice of Round-Robin and
 * Random. Pure functions.
 */
final class Baselines {
    private Baselines() {}

    /** Mix: b_k = b/K, i.e. w_k = 1/K (§2.2). */
    static double[] uniform(int K) {
        Checks.require(K > 0, "need at least one domain, got %d", K);
        var w = new double[K];
        java.util.Arrays.fill(w, 1.0 / K);
        return w;
    }

    /** Token-proportional: w_k = n_k / Σ_j n_j, n_k = tokens (or sequences) of domain k. */
    static double[] proportional(long[] n) {
        return temperature(n, 1);
    }

    /**
     * Temperature sampling (mT5): p_k ∝ n_k^α with α in (0, 1]; α = 1 is token-proportional, α → 0 uniform.
     * Computed as exp(α (ln n_k − max_j ln n_j)) so huge counts cannot overflow.
     */
    static double[] temperature(long[] n, double alpha) {
        Checks.require(n.length > 0, "need at least one domain");
        Checks.require(
                Double.isFinite(alpha) && alpha >= 0, "temperature alpha must be finite and >= 0, got %s", alpha);
        double maxLog = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < n.length; k++) {
            Checks.require(n[k] > 0, "domain %d has %d tokens; token-based weights need every count > 0", k, n[k]);
            maxLog = Math.max(maxLog, Math.log(n[k]));
        }
        var w = new double[n.length];
        double sum = 0;
        for (int k = 0; k < n.length; k++) sum += w[k] = Math.exp(alpha * (Math.log(n[k]) - maxLog));
        for (int k = 0; k < n.length; k++) w[k] /= sum;
        return w;
    }

    /** Round-Robin (§2.2): the whole batch of step t comes from task t mod K (0-based). */
    static int roundRobinTask(long step, int K) {
        return (int) Math.floorMod(step, (long) K);
    }

    /**
     * Random (§2.2): the whole batch of step t comes from one task drawn with probabilities p_k, using
     * {@code new SplittableRandom(seed ^ mix(step))} so every step's draw depends only on (seed, step).
     */
    static int randomTask(long seed, long step, double[] p) {
        double u = new SplittableRandom(seed ^ Feistel.mix64(step + 0x9E3779B97F4A7C15L)).nextDouble();
        double acc = 0;
        int last = 0;
        for (int k = 0; k < p.length; k++) {
            if (p[k] <= 0) continue;
            last = k;
            acc += p[k];
            if (u < acc) return k;
        }
        return last; // u ≥ Σp only through rounding
    }

    static double[] oneHot(int k, int K) {
        var w = new double[K];
        w[k] = 1;
        return w;
    }
}
