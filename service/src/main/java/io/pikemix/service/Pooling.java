package io.pikemix.service;

import io.pikemix.mixer.DomainStats;
import io.pikemix.mixer.GradientStats;

import java.util.ArrayList;

/**
 * Pools the reports of all n workers for one step into the {@link DomainStats} the strategy reads.
 *
 * <p>The workers' estimates are combined by {@link GradientStats#pool} (pooled means and variances, not averaged
 * norms). Per domain, with worker w's m_w micro-batches, n_w sequences, N̂_w = grad_norm_sq, σ²_w = grad_var,
 * N = Σ n_w:
 *
 * <pre>
 *   σ²  = Σ_w (m_w − 1) σ²_w / Σ_w (m_w − 1)
 *   N̂   = Σ_w n_w (N̂_w + σ²_w/n_w − σ²/n_w) / N
 *   loss = Σ_w n_w loss_w / N          (only when every worker sent loss)
 * </pre>
 *
 * then, as in {@link GradientStats#toDomainStats()}, ‖∇L_k‖² = max(N̂, 10⁻⁶·(N̂ + σ²/N)). With several workers
 * N̂ + σ²/N can itself be ≤ 0 (signal far below noise), so the floor is finally raised to
 * 10⁻⁶ · Σ_w n_w ‖ḡ_w‖² / N, which is &gt; 0 because every reported ‖ḡ_w‖² is. A single worker's report gives
 * exactly {@code GradientStats.toDomainStats()} of that worker, i.e. what an in-process trainer passes to
 * {@code Mixer.report}.
 */
final class Pooling {
    private Pooling() {}

    static DomainStats pool(StatsReport[] reports) {
        var list = new ArrayList<GradientStats>(reports.length);
        for (StatsReport r : reports) list.add(r.toGradientStats());
        DomainStats d = GradientStats.pool(list).toDomainStats();
        double[] normSq = d.gradNormSq();
        int K = normSq.length;
        boolean changed = false;
        for (int k = 0; k < K; k++) {
            if (normSq[k] > 0) continue;
            double num = 0, seqs = 0;
            for (StatsReport r : reports) {
                num += r.sequences()[k] * r.meanGradNormSq()[k];
                seqs += r.sequences()[k];
            }
            normSq[k] = GradientStats.MIN_RELATIVE_NORM_SQ * num / seqs;
            changed = true;
        }
        return changed ? new DomainStats(normSq, d.gradVar(), d.loss()) : d;
    }
}
