package io.pikemix.mixer;

import io.pikemix.format.Checks;
import java.util.List;

/**
 * Per-domain gradient statistics from {@link GradientStatsAccumulator} (one worker) or {@link #pool}
 * (several workers). What a strategy reads is {@link Pooling#pool} of the workers' statistics.
 *
 * @param microBatches   m_k, micro-batches behind the estimate
 * @param sequences      n_k = Σ sequences over those micro-batches
 * @param gradNormSq     unbiased ‖∇L_k‖² (= ‖ḡ‖² − v/m; may be ≤ 0 when the signal is below the noise)
 * @param meanGradNormSq ‖ḡ_k‖², the squared norm of the mean gradient (biased upward by σ_k²/n_k)
 * @param gradVar        unbiased per-sequence variance σ_k²
 * @param innerProducts  unbiased ⟨∇L_k, ∇L_l⟩ (k ≠ l: ⟨ḡ_k, ḡ_l⟩; diagonal: gradNormSq)
 * @param cosine         ⟨ḡ_k, ḡ_l⟩ / (‖ḡ_k‖ ‖ḡ_l‖), the cosine of the mean gradients (Fig. 2); diagonal 1
 * @param loss           mean loss per domain, or null
 */
public record GradientStats(
        int[] microBatches,
        long[] sequences,
        double[] gradNormSq,
        double[] meanGradNormSq,
        double[] gradVar,
        double[][] innerProducts,
        double[][] cosine,
        double[] loss)
        implements java.io.Serializable {

    /** Relative floor of {@link #toDomainStats()}: ‖∇L_k‖² is reported as at least 1e-6 · ‖ḡ_k‖². */
    public static final double MIN_RELATIVE_NORM_SQ = 1e-6;

    public int size() {
        return gradNormSq.length;
    }

    /**
     * The statistics a strategy reads. The unbiased ‖∇L_k‖² can be ≤ 0 when a domain's gradient signal is below
     * its noise; strategies reject non-positive values, so it is replaced by max(‖∇L_k‖², 1e-6·‖ḡ_k‖²): a
     * positive-part estimate ("no detectable signal") that keeps Conceptual PiKE's κ_k > 0 and contributes
     * ≈ 0 to PiKE's exponent. For several workers' pooled statistics this floor can itself be ≤ 0; use
     * {@link Pooling#pool}, which raises it.
     */
    public DomainStats toDomainStats() {
        var n = new double[size()];
        for (int k = 0; k < n.length; k++) n[k] = Math.max(gradNormSq[k], MIN_RELATIVE_NORM_SQ * meanGradNormSq[k]);
        return new DomainStats(n, gradVar, loss);
    }

    /**
     * Pools several workers' estimates of the same step into one, as if from all their micro-batches — with
     * pooled means and variances, not averaged norms. Per domain, with worker w's m_w, n_w, N̂_w = gradNormSq,
     * σ²_w = gradVar, M = Σ m_w, N = Σ n_w:
     *
     *   σ²  = Σ_w (m_w − 1) σ²_w / Σ_w (m_w − 1)                         (pooled within-worker variance)
     *   N̂   = Σ_w n_w (N̂_w + σ²_w/n_w − σ²/n_w) / N                      (each worker's ‖ḡ_w‖² debiased with the
     *                                                                     pooled σ², weighted by its sequences)
     *   ‖ḡ‖² = N̂ + σ²/N,   loss = Σ_w n_w loss_w / N,
     *   ⟨∇L_k, ∇L_l⟩ = Σ_w c_w ⟨ḡ_wk, ḡ_wl⟩ / Σ_w c_w,  c_w = n_wk n_wl / (n_wk + n_wl)   (k ≠ l)
     *
     * All unbiased (each term is). A single worker is returned unchanged.
     */
    public static GradientStats pool(List<GradientStats> workers) {
        Checks.require(!workers.isEmpty(), "nothing to pool");
        if (workers.size() == 1) return workers.get(0);
        int K = workers.get(0).size();
        for (GradientStats g : workers) Checks.require(g.size() == K, "workers report %d and %d domains", K, g.size());
        var m = new int[K];
        var n = new long[K];
        var normSq = new double[K];
        var meanNormSq = new double[K];
        var variance = new double[K];
        boolean hasLoss = workers.stream().allMatch(g -> g.loss() != null);
        double[] loss = hasLoss ? new double[K] : null;
        for (int k = 0; k < K; k++) {
            double df = 0, ss = 0;
            for (GradientStats g : workers) {
                m[k] += g.microBatches[k];
                n[k] += g.sequences[k];
                df += g.microBatches[k] - 1;
                ss += (g.microBatches[k] - 1) * g.gradVar[k];
            }
            variance[k] = ss / df;
            double acc = 0, lacc = 0;
            for (GradientStats g : workers) {
                acc += g.sequences[k] * g.gradNormSq[k] + g.gradVar[k] - variance[k];
                if (hasLoss) lacc += g.sequences[k] * g.loss[k];
            }
            normSq[k] = acc / n[k];
            meanNormSq[k] = normSq[k] + variance[k] / n[k];
            if (hasLoss) loss[k] = lacc / n[k];
        }
        var inner = new double[K][K];
        for (int k = 0; k < K; k++)
            for (int l = 0; l < K; l++) {
                if (k == l) {
                    inner[k][k] = normSq[k];
                    continue;
                }
                double num = 0, den = 0;
                for (GradientStats g : workers) {
                    double a = g.sequences[k], b = g.sequences[l], c = a * b / (a + b);
                    num += c * g.innerProducts[k][l];
                    den += c;
                }
                inner[k][l] = num / den;
            }
        return new GradientStats(m, n, normSq, meanNormSq, variance, inner, cosines(inner, meanNormSq), loss);
    }

    static double[][] cosines(double[][] inner, double[] meanNormSq) {
        int K = meanNormSq.length;
        var cos = new double[K][K];
        for (int k = 0; k < K; k++)
            for (int l = 0; l < K; l++) cos[k][l] = k == l ? 1 : inner[k][l] / Math.sqrt(meanNormSq[k] * meanNormSq[l]);
        return cos;
    }
}
