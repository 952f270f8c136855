package io.pikemix.mixer;

import io.pikemix.format.Checks;

/**
 * Conceptual PiKE, Algorithm 2 (arXiv:2502.06244, §3.2 and Appendix B): the weights that minimise the
 * descent bound of Theorem 3.5, eq. (8), relaxed to w_k = b_k/b. Pure functions on arrays.
 */
final class ConceptualPike {
    private ConceptualPike() {}

    /**
     * Eq. (8): β = min_k (1 + c̲ (−K + 2 − b/b_k)) with b/b_k = 1/w_k. Domains with w_k = 0 contribute no
     * b_k·β term to eq. (8) and are skipped (their b/b_k is infinite). Must be > 0 for the bound to be useful.
     */
    static double beta(double cConflict, double[] w) {
        int K = w.length;
        double beta = Double.POSITIVE_INFINITY;
        for (double wk : w) if (wk > 0) beta = Math.min(beta, 1 + cConflict * (-K + 2 - 1 / wk));
        Checks.require(
                beta > 0 && Double.isFinite(beta),
                "beta from eq. (8) is %s (c_conflict = %s, K = %d): the conflict bound c < 1/(K-2+b/b_k) of Theorem 3.5 "
                        + "does not hold; lower c_conflict or give --beta",
                beta,
                cConflict,
                K);
        return beta;
    }

    /** Eq. (8): γ = 1 + c̄ (K − 1). */
    static double gamma(double cAlign, int K) {
        return 1 + cAlign * (K - 1);
    }

    /**
     * Eq. (9)–(10) via Lemma F.2: minimise Σ_k w_k λ_k + ½ w_k² κ_k subject to w ≥ 0, Σ w = 1, where
     *
     *   λ_k = −η β ‖∇L_k‖² + L η² σ_k² / (2b),     κ_k = L η² γ ‖∇L_k‖²   (> 0)
     *
     * KKT: w_k* = max{0, −(μ + λ_k)/κ_k} with μ such that Σ w_k* = 1. Σ_k w_k*(μ) is continuous and
     * non-increasing in μ, ≥ 1 at μ_lo = −max λ − max κ and 0 at μ_hi = −min λ; μ is found by bisection
     * (Algorithm 2 line 6), then made exact on the active set A = {k : w_k* > 0}:
     * μ = −(1 + Σ_A λ_k/κ_k) / Σ_A 1/κ_k. Invariant: result on the simplex.
     */
    static double[] solve(double[] lambda, double[] kappa) {
        int K = lambda.length;
        double maxL = Double.NEGATIVE_INFINITY, minL = Double.POSITIVE_INFINITY, maxK = 0;
        for (int k = 0; k < K; k++) {
            Checks.require(Double.isFinite(lambda[k]), "lambda[%d] = %s must be finite", k, lambda[k]);
            Checks.require(
                    Double.isFinite(kappa[k]) && kappa[k] > 0, "kappa[%d] = %s must be finite and > 0", k, kappa[k]);
            maxL = Math.max(maxL, lambda[k]);
            minL = Math.min(minL, lambda[k]);
            maxK = Math.max(maxK, kappa[k]);
        }
        double lo = -maxL - maxK, hi = -minL;
        for (int it = 0; it < 200 && lo < hi; it++) {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break;
            if (total(mid, lambda, kappa) >= 1) lo = mid;
            else hi = mid;
        }
        // Exact μ on the active set found at lo (where Σ w ≥ 1, so A is non-empty).
        double sumInv = 0, sumRatio = 0;
        for (int k = 0; k < K; k++) {
            if (-(lo + lambda[k]) > 0) {
                sumInv += 1 / kappa[k];
                sumRatio += lambda[k] / kappa[k];
            }
        }
        double mu = -(1 + sumRatio) / sumInv;
        var w = new double[K];
        double sum = 0;
        for (int k = 0; k < K; k++) sum += w[k] = Math.max(0, -(mu + lambda[k]) / kappa[k]);
        if (sum > 0 && Double.isFinite(sum)) {
            for (int k = 0; k < K; k++) w[k] /= sum; // removes the last ulps
            return w;
        }
        // κ below the ulp of λ (‖∇L_k‖² tiny against σ_k²): −max λ − max κ rounds to −max λ, and the active set or μ
        // comes out empty or cancelled (0/0). The limit κ → 0 is the linear problem min Σ w_k λ_k on the simplex:
        // all weight on the smallest λ, shared equally between ties. With K = 1 this is w = [1].
        int ties = 0;
        for (int k = 0; k < K; k++) if (lambda[k] == minL) ties++;
        for (int k = 0; k < K; k++) w[k] = lambda[k] == minL ? 1.0 / ties : 0;
        return w;
    }

    private static double total(double mu, double[] lambda, double[] kappa) {
        double s = 0;
        for (int k = 0; k < lambda.length; k++) s += Math.max(0, -(mu + lambda[k]) / kappa[k]);
        return s;
    }

    /** The objective of eq. (9), for tests and diagnostics. */
    static double objective(double[] w, double[] lambda, double[] kappa) {
        double f = 0;
        for (int k = 0; k < w.length; k++) f += w[k] * lambda[k] + 0.5 * w[k] * w[k] * kappa[k];
        return f;
    }

    /**
     * One Conceptual PiKE step (Algorithm 2 lines 5–6): λ_k, κ_k from the statistics and the constants
     * (β, γ derived from eq. (8) at the current weights w where not given), then {@link #solve}.
     */
    static double[] step(double[] w, double[] gradNormSq, double[] gradVar, ConceptualParams p) {
        int K = w.length;
        double beta = Double.isNaN(p.beta()) ? beta(p.cConflict(), w) : p.beta();
        double gamma = Double.isNaN(p.gamma()) ? gamma(p.cAlign(), K) : p.gamma();
        double eta = p.eta(), L = p.smoothness();
        var lambda = new double[K];
        var kappa = new double[K];
        for (int k = 0; k < K; k++) {
            lambda[k] = -eta * beta * gradNormSq[k] + L * eta * eta * gradVar[k] / (2.0 * p.batchSize());
            kappa[k] = L * eta * eta * gamma * gradNormSq[k];
        }
        return solve(lambda, kappa);
    }
}
