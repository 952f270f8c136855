package io.pikemix.mixer;

import io.pikemix.format.Checks;
import java.util.List;

/**
 * From the workers' statistics of one step to the {@link DomainStats} a strategy reads: the one pooling function
 * that the local trainer, the Spark trainer and the mixer service all use (through {@link Mixer#report(long, List)}).
 * Pure functions.
 */
public final class Pooling {
    private Pooling() {}

    /**
     * Pools n ≥ 1 workers' estimates of the same step ({@link GradientStats#pool}: pooled means and variances, not
     * averaged norms) and keeps ‖∇L_k‖² positive. Per domain k, with worker w's m_w micro-batches, n_w sequences,
     * N̂_w = gradNormSq, ‖ḡ_w‖² = meanGradNormSq, σ²_w = gradVar, and N = Σ_w n_w:
     *
     *   σ²   = Σ_w (m_w − 1) σ²_w / Σ_w (m_w − 1)
     *   N̂    = Σ_w n_w (N̂_w + σ²_w/n_w − σ²/n_w) / N                    (unbiased; ≤ 0 when the signal is below the noise)
     *   G    = N̂ + σ²/N                                                  (the pooled ‖ḡ‖²; with n ≥ 2 it too can be ≤ 0)
     *   G⁺   = G                     if G > 0
     *          Σ_w n_w ‖ḡ_w‖² / N     otherwise                           (> 0: every worker's ‖ḡ_w‖² is)
     *   ‖∇L_k‖² = max(N̂, ε·G) if that is > 0, else ε·G⁺,   ε = {@link GradientStats#MIN_RELATIVE_NORM_SQ} = 1e-6
     *   σ_k² = σ²,   loss_k = Σ_w n_w loss_w / N   (only when every worker sent loss)
     *
     * The floor is a positive-part estimate ("no detectable signal"): it contributes ≈ 0 to PiKE's exponent and keeps
     * Conceptual PiKE's κ_k > 0, so a long run is never stopped by an update the strategy must refuse. One worker
     * gives exactly {@link GradientStats#toDomainStats()} (there G = ‖ḡ‖² > 0, so the second branch never applies).
     * Invariant: every returned ‖∇L_k‖² > 0 whenever every worker's ‖ḡ_w‖² > 0.
     */
    public static DomainStats pool(List<GradientStats> workers) {
        Checks.require(!workers.isEmpty(), "no worker reported statistics to pool");
        DomainStats d = GradientStats.pool(workers).toDomainStats();
        double[] normSq = d.gradNormSq();
        boolean raised = false;
        for (int k = 0; k < normSq.length; k++) {
            if (normSq[k] > 0) continue;
            double weighted = 0, sequences = 0;
            for (GradientStats g : workers) {
                weighted += g.sequences()[k] * g.meanGradNormSq()[k];
                sequences += g.sequences()[k];
            }
            normSq[k] = GradientStats.MIN_RELATIVE_NORM_SQ * weighted / sequences;
            raised = true;
        }
        return raised ? new DomainStats(normSq, d.gradVar(), d.loss()) : d;
    }
}
