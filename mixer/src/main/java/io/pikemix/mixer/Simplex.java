package io.pikemix.mixer;

import io.pikemix.format.Checks;

/**
 * The probability simplex Δ_K = {w ∈ R^K : w_k ≥ 0, Σ_k w_k = 1}, where every weight vector of the mixer lives:
 * the one place that checks a vector is on it and that puts one there. Pure functions.
 */
public final class Simplex {
    private Simplex() {}

    /** Tolerance on Σ w_k = 1, so weights that went through a JSON round trip still pass. */
    public static final double TOLERANCE = 1e-6;

    /**
     * Projection of a non-negative vector onto the simplex by scaling:
     *
     *   w_k = v_k / Σ_j v_j        (requires every v_k finite and ≥ 0, and Σ_j v_j > 0)
     *
     * {@code what} names the vector in error messages ("--weights", "prior weights", "weights"). Returns a new array.
     */
    public static double[] normalize(double[] v, String what) {
        double sum = sum(v, what);
        var w = new double[v.length];
        for (int k = 0; k < w.length; k++) w[k] = v[k] / sum;
        return w;
    }

    /** Requires w ∈ Δ_K: every w_k finite and ≥ 0 and |Σ_k w_k − 1| ≤ {@value #TOLERANCE}. */
    public static void require(double[] w) {
        double sum = sum(w, "weights");
        Checks.require(Math.abs(sum - 1) <= TOLERANCE, "weights sum to %s, not 1", sum);
    }

    /** Σ_k v_k, requiring a non-empty vector of finite, non-negative entries with a positive sum. */
    static double sum(double[] v, String what) {
        Checks.require(v.length > 0, "%s are empty", what);
        double sum = 0;
        for (int k = 0; k < v.length; k++) {
            Checks.require(Double.isFinite(v[k]) && v[k] >= 0, "%s[%d] = %s must be finite and >= 0", what, k, v[k]);
            sum += v[k];
        }
        Checks.require(sum > 0, "%s sum to 0; at least one domain needs a positive weight", what);
        return sum;
    }
}
