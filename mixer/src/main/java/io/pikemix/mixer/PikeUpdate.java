package io.pikemix.mixer;

import io.pikemix.format.Checks;

/**
 * The multiplicative (mirror-descent) weight updates of PiKE and Fair-PiKE, and the tilt of Lemma F.6
 * (arXiv:2502.06244). Pure functions on arrays.
 *
 * <p>Numerics: updates are computed in log space, {@code log w_k + x_k}, shifted by their maximum before
 * {@code exp} (the same result after normalisation, and no overflow for any finite exponent).
 *
 * <p>Underflow: a multiplicative update can never revive a weight that has reached exactly 0, so a domain
 * whose weight underflowed would be dropped for good. After normalisation every weight is therefore raised
 * to at least {@code minWeight} (water-filling: the floored domains get exactly {@code minWeight}, the others
 * are rescaled to share the rest, so the result stays on the simplex). The default floor is
 * {@link PikeParams#DEFAULT_MIN_WEIGHT} = 1e-6: at b = 256 that is about one row every 3,900 steps with carried
 * remainders, negligible for the mix but enough to let a domain return when its statistics change.
 * {@code minWeight = 0} disables the floor and keeps the paper's update exactly.
 */
final class PikeUpdate {
    private PikeUpdate() {}

    /**
     * PiKE weight update, Algorithm 1 lines 6–7 (§3.3):
     *
     *   w_k ← w_k · exp( ζ1·‖∇L_k‖² − ζ2/(2b) · σ_k² ),   then  w ← w / ‖w‖₁
     *
     * w = current weights, gradNormSq = ‖∇L_k‖² estimates, gradVar = σ_k² (per sequence), b = global batch
     * size; then the {@code minWeight} floor. Invariants: result on the simplex; identical statistics keep
     * the weights (up to the floor).
     */
    static double[] pikeStep(
            double[] w, double[] gradNormSq, double[] gradVar, double zeta1, double zeta2, int b, double minWeight) {
        int K = w.length;
        Checks.require(
                gradNormSq.length == K && gradVar.length == K,
                "weights have %d entries but statistics have %d and %d",
                K,
                gradNormSq.length,
                gradVar.length);
        var x = new double[K];
        for (int k = 0; k < K; k++) x[k] = zeta1 * gradNormSq[k] - zeta2 / (2.0 * b) * gradVar[k];
        return multiply(w, x, minWeight);
    }

    /**
     * Fair-PiKE weight update, Algorithm 3 lines 6–8 (§3.4, Appendix C):
     *
     *   y_k* = τ e^{τ L_k − 1} / Σ_j e^{τ L_j − 1}                       (Lemma F.6, see {@link #tilt})
     *   w_k ← w_k · exp( (y_k*)² · (ζ1·‖∇L_k‖² − ζ2/(2b) · σ_k²) ),   then  w ← w / ‖w‖₁
     *
     * loss = L_k, tau = τ > 0; the other symbols as in {@link #pikeStep}.
     */
    static double[] fairStep(
            double[] w,
            double[] gradNormSq,
            double[] gradVar,
            double[] loss,
            double zeta1,
            double zeta2,
            int b,
            double tau,
            double minWeight) {
        int K = w.length;
        Checks.require(
                gradNormSq.length == K && gradVar.length == K && loss.length == K,
                "weights have %d entries but statistics have %d, %d and %d",
                K,
                gradNormSq.length,
                gradVar.length,
                loss.length);
        double[] y = tilt(loss, tau);
        var x = new double[K];
        for (int k = 0; k < K; k++) x[k] = y[k] * y[k] * (zeta1 * gradNormSq[k] - zeta2 / (2.0 * b) * gradVar[k]);
        return multiply(w, x, minWeight);
    }

    /**
     * The maximiser of Lemma F.6 (Appendix F.3):
     *
     *   max_{y ≥ 0, Σ y = τ}  Σ_k y_k x_k − Σ_k (y_k/τ) log(y_k/τ)   is attained at
     *   y_k* = τ e^{τ x_k − 1} / Σ_j e^{τ x_j − 1}  =  τ · softmax(τ x)_k
     *
     * and its value is log Σ_k e^{τ x_k} (Lemma F.5). The exponent is shifted by max τx_j before exp.
     */
    static double[] tilt(double[] x, double tau) {
        Checks.require(tau > 0 && Double.isFinite(tau), "tau must be finite and > 0, got %s", tau);
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) max = Math.max(max, tau * v);
        var y = new double[x.length];
        double sum = 0;
        for (int k = 0; k < x.length; k++) sum += y[k] = Math.exp(tau * x[k] - max);
        for (int k = 0; k < x.length; k++) y[k] = tau * y[k] / sum;
        return y;
    }

    /** w_k · e^{x_k} / Σ_j w_j · e^{x_j} computed in log space, then the {@code minWeight} floor. */
    static double[] multiply(double[] w, double[] x, double minWeight) {
        int K = w.length;
        Simplex.require(w);
        var logs = new double[K];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < K; k++) {
            Checks.require(Double.isFinite(x[k]), "update exponent for domain %d is %s; check the statistics", k, x[k]);
            logs[k] = w[k] > 0 ? Math.log(w[k]) + x[k] : Double.NEGATIVE_INFINITY;
            max = Math.max(max, logs[k]);
        }
        var out = new double[K];
        double sum = 0;
        for (int k = 0; k < K; k++) sum += out[k] = Math.exp(logs[k] - max); // the largest term is exactly 1
        for (int k = 0; k < K; k++) out[k] /= sum;
        return floor(out, minWeight);
    }

    /**
     * Raises every weight of a simplex vector to at least {@code minWeight} and rescales the others so the sum
     * stays 1 (water-filling; at most K passes). Requires K·minWeight ≤ 1.
     */
    static double[] floor(double[] w, double minWeight) {
        int K = w.length;
        Checks.require(
                minWeight >= 0 && K * minWeight <= 1,
                "min weight %s must be in [0, 1/K] for K = %d domains",
                minWeight,
                K);
        if (minWeight == 0) return w;
        var out = w.clone();
        var floored = new boolean[K];
        for (int pass = 0; pass < K; pass++) {
            int nFloored = 0;
            double free = 0;
            for (int k = 0; k < K; k++) {
                if (floored[k]) nFloored++;
                else free += out[k];
            }
            double scale = free > 0 ? (1 - nFloored * minWeight) / free : 0;
            boolean changed = false;
            for (int k = 0; k < K; k++) {
                if (floored[k]) {
                    out[k] = minWeight;
                    continue;
                }
                out[k] *= scale;
                if (out[k] < minWeight) {
                    floored[k] = true;
                    changed = true;
                }
            }
            if (!changed) return out;
        }
        for (int k = 0; k < K; k++) if (floored[k]) out[k] = minWeight;
        return out;
    }
}
