package io.pikemix.mixer;

import io.pikemix.format.Checks;

/**
 * Robust-PiKE: PiKE's multiplicative update (Algorithm 1 lines 6–7, arXiv:2502.06244 §3.3) made scale-free,
 * bounded and abundance-aware (issue 13; the derivation and the defaults are in {@code mixer/ROBUST_PIKE.md}).
 * Pure functions on arrays.
 *
 * <p>One update, from weights w on the simplex, statistics G_k = ‖∇L_k‖², V_k = σ_k² (per sequence) and the
 * epochs e_k each domain has consumed (completed passes plus the fraction of the current one):
 *
 * <pre>
 *   w⁰    = floor(w, w_min),   w_min = floorShare / K                                       (start on the floor)
 *   d_k   = exp( −max(0, e_k − 1) / R* )                          (repetition discount, 1 in the first epoch)
 *   ĝ_k   = d_k G_k⁺ / ((1/K) Σ_j d_j G_j⁺)                 (relative discounted signal; 1 for all k if Σ = 0)
 *   v̂_k   = V_k⁺ / ((1/K) Σ_j V_j⁺)                                   (relative variance; 1 for all k if Σ = 0)
 *   x_k   = ζ_g ĝ_k − ζ_v v̂_k                                         (PiKE's exponent ζ1‖∇L_k‖² − ζ2σ_k²/(2b))
 *   y_k   = x_k + λ·ln( a_k / w⁰_k )                     (pull towards the anchor a, a = floor(a, w_min); λ = 0: none)
 *   w(s)  = floor( w⁰ ⊙ e^{s·y} / Σ_j w⁰_j e^{s·y_j},  w_min )                  (PiKE's step, scaled by s)
 *   s*    = max { s ∈ [0, 1] : max_k |ln( w(s)_k / w⁰_k )| ≤ ln ρ }                       (ratio trust region)
 *   w'    = w(s*)
 * </pre>
 *
 * Without the cap (s* = 1) the pull makes ln(w_t/a) = (1 − λ)·ln(w_{t−1}/a) + x_t up to normalisation, i.e.
 * ln(w_t/a) = Σ_i (1 − λ)^i x_{t−i}: an exponential average of the exponents over about 1/λ updates. Noise in
 * one statistics step is averaged out instead of integrated as a random walk, and the weights stay within
 * e^{max|x|/λ} of the anchor.
 *
 * <p>G⁺ = max(G, 0): an unbiased ‖∇L_k‖² can be negative when the signal is below the noise ("no signal").
 * ĝ and v̂ are dimensionless and lie in [0, K], so the exponent is bounded whatever the model, batch size or
 * phase of training; the cap ρ bounds every step whatever the statistics.
 *
 * <p>Invariants (tested): the result is on the simplex and every weight ≥ w_min; identical statistics and
 * epochs keep w⁰; every w'_k / w⁰_k lies in [1/ρ, ρ]; a domain with more epochs consumed and otherwise the same
 * statistics gets a lower weight.
 */
final class RobustPike {
    private RobustPike() {}

    /** Bisection steps for s*: the bracket shrinks to 2⁻⁶⁰, well below a double's resolution of a weight. */
    private static final int BISECTION_STEPS = 60;

    /** {@link #step(double[], double[], double[], double[], double[], RobustPikeParams)} without an anchor (no pull). */
    static double[] step(double[] w, double[] gradNormSq, double[] gradVar, double[] epochs, RobustPikeParams p) {
        return step(w, gradNormSq, gradVar, epochs, null, p);
    }

    /**
     * One robust-PiKE update (see the class comment for the equations). {@code epochs} may be null (all 0);
     * {@code anchor} (on the simplex) may be null when λ = 0 or to switch the pull off.
     */
    static double[] step(
            double[] w, double[] gradNormSq, double[] gradVar, double[] epochs, double[] anchor, RobustPikeParams p) {
        int K = w.length;
        Checks.require(
                gradNormSq.length == K && gradVar.length == K && (epochs == null || epochs.length == K),
                "weights have %d entries but statistics have %d and %d, epochs %d",
                K,
                gradNormSq.length,
                gradVar.length,
                epochs == null ? K : epochs.length);
        Simplex.require(w);
        double wMin = p.minWeight(K);
        double[] w0 = PikeUpdate.floor(w.clone(), wMin);
        double[] d = discount(epochs == null ? new double[K] : epochs, p.repeatEpochs());
        var signal = new double[K];
        for (int k = 0; k < K; k++) signal[k] = d[k] * positive("grad_norm_sq", k, gradNormSq[k]);
        var variance = new double[K];
        for (int k = 0; k < K; k++) variance[k] = positive("grad_var", k, gradVar[k]);
        double[] g = relative(signal), v = relative(variance);
        var x = new double[K];
        for (int k = 0; k < K; k++) x[k] = p.signal() * g[k] - p.noise() * v[k];
        if (anchor != null && p.shrink() > 0) {
            Checks.require(anchor.length == K, "anchor has %d entries but there are %d domains", anchor.length, K);
            double[] a = PikeUpdate.floor(Simplex.normalize(anchor, "anchor weights"), wMin);
            for (int k = 0; k < K; k++) x[k] += p.shrink() * logRatio(a[k], w0[k]);
        }
        return boundedStep(w0, x, wMin, p.maxRatio());
    }

    /** d_k = exp(−max(0, e_k − 1)/R*): 1 during the first epoch, e^{−1} after R* more (R* = ∞: always 1). */
    static double[] discount(double[] epochs, double repeatEpochs) {
        var d = new double[epochs.length];
        for (int k = 0; k < d.length; k++) {
            Checks.require(
                    Double.isFinite(epochs[k]) && epochs[k] >= 0,
                    "epochs[%d] = %s must be finite and >= 0",
                    k,
                    epochs[k]);
            d[k] = Math.exp(-Math.max(0, epochs[k] - 1) / repeatEpochs);
        }
        return d;
    }

    /**
     * a_k / ((1/K) Σ_j a_j) for a ≥ 0, computed as (a_k/max a)/(mean of a/max a) so huge values cannot overflow;
     * all ones when every a_k = 0 (no information, no preference). Result in [0, K], mean 1.
     */
    static double[] relative(double[] a) {
        int K = a.length;
        double max = 0;
        for (double v : a) max = Math.max(max, v);
        var r = new double[K];
        if (max == 0) {
            java.util.Arrays.fill(r, 1);
            return r;
        }
        double mean = 0;
        for (int k = 0; k < K; k++) mean += r[k] = a[k] / max;
        mean /= K;
        for (int k = 0; k < K; k++) r[k] /= mean;
        return r;
    }

    /**
     * w(s*) of the class comment: PiKE's normalised multiplicative step w⁰ ⊙ e^{s·x}, floored at w_min, with the
     * largest s ∈ [0, 1] whose step keeps every ratio w(s)_k / w⁰_k within [1/ρ, ρ]. Bisection keeps a feasible
     * lower end (s = 0 is feasible: w(0) = w⁰), so the result satisfies the cap even where the ratio is not
     * monotone in s (the floor can bend it).
     */
    static double[] boundedStep(double[] w0, double[] x, double wMin, double maxRatio) {
        double cap = Math.log(maxRatio);
        double[] full = PikeUpdate.multiply(w0, x, wMin);
        if (maxLogRatio(full, w0) <= cap) return full;
        double[] best = w0.clone();
        double lo = 0, hi = 1;
        for (int it = 0; it < BISECTION_STEPS; it++) {
            double mid = 0.5 * (lo + hi);
            double[] trial = PikeUpdate.multiply(w0, scaled(x, mid), wMin);
            if (maxLogRatio(trial, w0) <= cap) {
                lo = mid;
                best = trial;
            } else hi = mid;
        }
        return best;
    }

    /** max_k |ln(a_k / b_k)| over b_k > 0 (a weight of 0 against a positive one is an infinite move). */
    static double maxLogRatio(double[] a, double[] b) {
        double m = 0;
        for (int k = 0; k < a.length; k++) {
            if (b[k] == 0 && a[k] == 0) continue;
            m = Math.max(m, Math.abs(Math.log(a[k] / b[k])));
        }
        return m;
    }

    /**
     * The generalisation signal of issue 13 (part 1c): for one domain, m training micro-batch gradients t_i and
     * m' held-out micro-batch gradients h_j (each a mean over its rows; held-out rows are training-split rows the
     * manifests never train on), with t̄ = (1/m) Σ t_i and h̄ = (1/m') Σ h_j:
     *
     *   ŝ_k = ⟨t̄, h̄⟩ = Σ_c t̄_c h̄_c
     *
     * The two sides are independent, so E ŝ_k = ⟨E t̄, E h̄⟩ = ⟨∇L_k^seen, ∇L_k^fresh⟩: equal to ‖∇L_k‖² while the
     * training rows are like fresh ones (unbiased without the σ²/m correction that ‖t̄‖² needs), and falling to
     * 0 as the training rows are memorised (their gradient vanishes or turns away from the fresh one). The
     * inner product is a sum over coordinates, so a trainer can call this per parameter tensor and add the
     * results. It replaces G_k in {@link #step} (then the repetition discount is redundant: R* = ∞).
     */
    static double heldOutSignal(double[][] train, double[][] heldOut) {
        Checks.require(
                train.length >= 1 && heldOut.length >= 1,
                "need >= 1 training and >= 1 held-out micro-batch, got %d and %d",
                train.length,
                heldOut.length);
        double[] t = mean(train), h = mean(heldOut);
        Checks.require(
                t.length == h.length,
                "training gradients have %d coordinates but held-out ones %d",
                t.length,
                h.length);
        double s = 0;
        for (int c = 0; c < t.length; c++) s += t[c] * h[c];
        return s;
    }

    private static double[] mean(double[][] rows) {
        var m = new double[rows[0].length];
        for (double[] r : rows) {
            Checks.require(
                    r.length == m.length, "micro-batch gradients have %d and %d coordinates", m.length, r.length);
            for (int c = 0; c < m.length; c++) m[c] += r[c];
        }
        for (int c = 0; c < m.length; c++) m[c] /= rows.length;
        return m;
    }

    /** ln(a/b), 0 where b = 0 (a zero weight cannot move multiplicatively), clamped to ±700 so exp stays finite. */
    private static double logRatio(double a, double b) {
        if (b == 0) return 0;
        return Math.max(-700, Math.min(700, Math.log(Math.max(a, Double.MIN_NORMAL)) - Math.log(b)));
    }

    private static double[] scaled(double[] x, double s) {
        var y = new double[x.length];
        for (int k = 0; k < x.length; k++) y[k] = s * x[k];
        return y;
    }

    private static double positive(String field, int k, double v) {
        Checks.require(Double.isFinite(v), "%s[%d] = %s must be finite (domain %d)", field, k, v, k);
        return Math.max(0, v);
    }
}
