package io.pikemix.mixer;

import io.pikemix.format.Checks;

/**
 * Streaming estimator of the per-domain gradient statistics PiKE needs (§3.3, Algorithm 1 line 5), fed one
 * parameter tensor at a time so no gradient has to be held concatenated.
 *
 * <p>For domain k the trainer computes m_k ≥ 2 micro-batch gradients g_1 … g_m ∈ R^d, each the mean over
 * s_k sequences. With ḡ = (1/m) Σ_i g_i and v = (1/(m−1)) Σ_i ‖g_i − ḡ‖² (the sample variance summed over
 * coordinates, i.e. the trace of the sample covariance):
 *
 *   E‖ḡ‖² = ‖∇L_k‖² + Tr Cov(g_i)/m     and     E v = Tr Cov(g_i) = σ_k² / s_k,
 *
 * so   ‖∇L_k‖²^ = ‖ḡ‖² − v/m   (unbiased; may be ≤ 0 when the signal is below the noise)
 * and  σ_k²^    = s_k · v        (unbiased per-sequence variance, paper eq. (7)).
 *
 * For domains k ≠ l (independent samples) ⟨ḡ_k, ḡ_l⟩ is an unbiased estimate of ⟨∇L_k, ∇L_l⟩; the reported
 * cosine similarity (paper Fig. 2) is that of the mean gradients, ⟨ḡ_k, ḡ_l⟩ / (‖ḡ_k‖ ‖ḡ_l‖).
 *
 * <p>Per tensor, each domain's coordinates are accumulated with Welford's update (running mean and sum of
 * squared deviations), so v does not suffer the cancellation of Σ‖g_i‖² − m‖ḡ‖². Usage: for every tensor,
 * {@link #add} every (domain, micro-batch) slice of that tensor — micro-batches of a domain in the same order
 * for every tensor — then {@link #endTensor()}; after the last tensor, {@link #finish}.
 */
public final class GradientStatsAccumulator {
    private final int K;
    private final int[] m, s;
    private final double[] sumSqDev; // Σ_i ‖g_i − ḡ‖² over finished tensors
    private final double[][] dot; // ⟨ḡ_k, ḡ_l⟩ over finished tensors
    private double[][] mean = new double[0][];
    private final int[] added; // micro-batches added to the current tensor, per domain
    private int length = -1; // length of the current tensor's slices

    /** @param microBatches m_k ≥ 2 per domain; @param seqsPerMicroBatch s_k ≥ 1 sequences per micro-batch. */
    public GradientStatsAccumulator(int[] microBatches, int[] seqsPerMicroBatch) {
        K = microBatches.length;
        Checks.require(
                K > 0 && seqsPerMicroBatch.length == K,
                "micro-batch counts (%d) and sizes (%d) must cover the same domains",
                K,
                seqsPerMicroBatch.length);
        for (int k = 0; k < K; k++) {
            Checks.require(
                    microBatches[k] >= 2,
                    "domain %d has %d micro-batches; the variance estimate needs >= 2",
                    k,
                    microBatches[k]);
            Checks.require(
                    seqsPerMicroBatch[k] >= 1, "domain %d has %d sequences per micro-batch", k, seqsPerMicroBatch[k]);
        }
        m = microBatches.clone();
        s = seqsPerMicroBatch.clone();
        sumSqDev = new double[K];
        dot = new double[K][K];
        added = new int[K];
    }

    /** Adds micro-batch {@code microBatch} of {@code domain}'s slice of the current tensor. */
    public void add(int domain, int microBatch, float[] values) {
        add(domain, microBatch, values, 0, values.length);
    }

    public void add(int domain, int microBatch, float[] values, int offset, int len) {
        double[] mu = slot(domain, microBatch, len);
        if (added[domain] == 0) { // first micro-batch: the mean is the slice itself
            for (int j = 0; j < len; j++) mu[j] = values[offset + j];
        } else {
            double inv = 1.0 / (added[domain] + 1), dev0 = 0, dev1 = 0; // two partial sums: shorter add chain
            int j = 0;
            for (; j + 1 < len; j += 2) {
                double x0 = values[offset + j], d0 = x0 - mu[j];
                double x1 = values[offset + j + 1], d1 = x1 - mu[j + 1];
                mu[j] += d0 * inv;
                mu[j + 1] += d1 * inv;
                dev0 += d0 * (x0 - mu[j]);
                dev1 += d1 * (x1 - mu[j + 1]);
            }
            for (; j < len; j++) {
                double x = values[offset + j], d = x - mu[j];
                mu[j] += d * inv;
                dev0 += d * (x - mu[j]);
            }
            sumSqDev[domain] += dev0 + dev1;
        }
        added[domain]++;
    }

    public void add(int domain, int microBatch, double[] values) {
        double[] mu = slot(domain, microBatch, values.length);
        double inv = 1.0 / (added[domain] + 1), dev = 0;
        for (int j = 0; j < values.length; j++) {
            double x = values[j], delta = x - mu[j];
            mu[j] += delta * inv;
            dev += delta * (x - mu[j]);
        }
        sumSqDev[domain] += dev;
        added[domain]++;
    }

    private double[] slot(int domain, int microBatch, int len) {
        Checks.require(domain >= 0 && domain < K, "domain %d is outside [0, %d)", domain, K);
        Checks.require(
                microBatch == added[domain],
                "domain %d: expected micro-batch %d of this tensor, got %d",
                domain,
                added[domain],
                microBatch);
        Checks.require(
                microBatch < m[domain], "domain %d has %d micro-batches, got index %d", domain, m[domain], microBatch);
        if (length < 0) {
            length = len;
            if (mean.length != K || mean[0].length < len) mean = new double[K][len];
            else for (double[] row : mean) java.util.Arrays.fill(row, 0, len, 0);
        }
        Checks.require(len == length, "tensor slices differ in length: %d vs %d", len, length);
        return mean[domain];
    }

    /** Closes the current tensor: every domain must have added all its micro-batches. */
    public void endTensor() {
        for (int k = 0; k < K; k++)
            Checks.require(
                    added[k] == m[k], "domain %d added %d of %d micro-batches to this tensor", k, added[k], m[k]);
        for (int k = 0; k < K; k++)
            for (int l = k; l < K; l++) {
                double d = dot(mean[k], mean[l], length);
                dot[k][l] += d;
                if (l != k) dot[l][k] += d;
            }
        java.util.Arrays.fill(added, 0);
        length = -1;
    }

    private static double dot(double[] a, double[] c, int len) {
        double d0 = 0, d1 = 0, d2 = 0, d3 = 0; // four partial sums: shorter add chains
        int j = 0;
        for (; j + 3 < len; j += 4) {
            d0 += a[j] * c[j];
            d1 += a[j + 1] * c[j + 1];
            d2 += a[j + 2] * c[j + 2];
            d3 += a[j + 3] * c[j + 3];
        }
        for (; j < len; j++) d0 += a[j] * c[j];
        return (d0 + d1) + (d2 + d3);
    }

    /** The estimates over all finished tensors; {@code loss} (per-domain mean loss, may be null) is carried along. */
    public GradientStats finish(double[] loss) {
        Checks.require(length < 0, "finish() called before endTensor()");
        return fromSums(m, s, sumSqDev, dot, loss);
    }

    /**
     * The estimates from their sufficient sums, for estimators that accumulate them elsewhere (the trainer's, on
     * the gradient arrays): per domain k, {@code sumSqDev[k]} = Σ_i ‖g_i − ḡ_k‖² over its m_k micro-batches and
     * {@code meanDots[k][l]} = ⟨ḡ_k, ḡ_l⟩. Same formulas as {@link #finish}.
     */
    public static GradientStats fromSums(
            int[] microBatches, int[] seqsPerMicroBatch, double[] sumSqDev, double[][] meanDots, double[] loss) {
        int K = microBatches.length;
        Checks.require(
                seqsPerMicroBatch.length == K && sumSqDev.length == K && meanDots.length == K,
                "micro-batch counts, sizes and sums must cover the same %d domains",
                K);
        Checks.require(
                loss == null || loss.length == K,
                "loss has %d entries but there are %d domains",
                loss == null ? 0 : loss.length,
                K);
        int[] m = microBatches, s = seqsPerMicroBatch;
        var normSq = new double[K];
        var meanNormSq = new double[K];
        var variance = new double[K];
        var sequences = new long[K];
        for (int k = 0; k < K; k++) {
            Checks.require(m[k] >= 2, "domain %d has %d micro-batches; the variance estimate needs >= 2", k, m[k]);
            double v = sumSqDev[k] / (m[k] - 1);
            meanNormSq[k] = meanDots[k][k];
            normSq[k] = meanDots[k][k] - v / m[k];
            variance[k] = s[k] * v;
            sequences[k] = (long) m[k] * s[k];
        }
        var inner = new double[K][K];
        for (int k = 0; k < K; k++) for (int l = 0; l < K; l++) inner[k][l] = k == l ? normSq[k] : meanDots[k][l];
        return new GradientStats(
                m.clone(),
                sequences,
                normSq,
                meanNormSq,
                variance,
                inner,
                GradientStats.cosines(inner, meanNormSq),
                loss == null ? null : loss.clone());
    }

    /** Convenience for whole vectors: grads[k][i] = micro-batch i's gradient of domain k. */
    public static GradientStats estimate(double[][][] grads, int[] seqsPerMicroBatch, double[] loss) {
        var m = new int[grads.length];
        for (int k = 0; k < grads.length; k++) m[k] = grads[k].length;
        var acc = new GradientStatsAccumulator(m, seqsPerMicroBatch);
        for (int k = 0; k < grads.length; k++) for (int i = 0; i < m[k]; i++) acc.add(k, i, grads[k][i]);
        acc.endTensor();
        return acc.finish(loss);
    }
}
