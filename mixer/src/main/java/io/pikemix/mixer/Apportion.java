package io.pikemix.mixer;

/**
 * Integer per-domain row counts for one step. Pure functions.
 */
final class Apportion {
    private Apportion() {}

    /**
     * Per-step rounding (the paper's round(b·w), Algorithm 1 line 8), made to sum to b by the
     * largest-remainder method:
     *
     *   exact_k = w_k · b
     *   c_k     = floor(exact_k), then +1 for the (b − Σ floor) domains with the largest
     *             exact_k − floor(exact_k); ties go to the lower domain index.
     *
     * Whenever plain rounding already sums to b it gives the same counts. Invariants: Σ c_k = b;
     * floor(w_k·b) ≤ c_k ≤ ceil(w_k·b). w must be on the simplex (it is renormalised against rounding).
     */
    static int[] counts(double[] w, int b) {
        var target = new double[w.length];
        double sum = Simplex.sum(w, "weights");
        for (int k = 0; k < w.length; k++) target[k] = w[k] / sum * b;
        return largestRemainder(target, b, w);
    }

    /**
     * Counts with carried remainders (Megatron-LM's blending index does the same per sample): each domain's
     * unrounded remainder is carried into the next step,
     *
     *   target_k = b · w_k(t) + carry_k,    c_k = largest-remainder rounding of target (Σ c_k = b, c_k ≥ 0),
     *   carry_k ← target_k − c_k
     *
     * so a domain with b·w_k < 1 still gets its rows over successive steps, and Σ_t c_k(t) stays within one
     * row of Σ_t b·w_k(t): |carry_k| < 1 whenever no target is negative, in particular for constant weights.
     * A target can be negative only after the weights changed and a domain had been served ahead of its new
     * share; it then gets 0 rows (carry_k > −1 always), and the rows it got early are owed by the others,
     * whose carry can then exceed 1 by at most what was over-served.
     *
     * A domain with w_k = 0 gets no rows and its carry is reset to 0 (a zero weight means "not this domain",
     * e.g. pinned off by an operator). The carries of the others are re-centred so Σ carry = 0 (this also
     * removes rounding drift). {@code carry} is updated in place; the counts are returned.
     */
    static int[] countsWithCarry(double[] w, int b, double[] carry) {
        int K = w.length;
        double sum = Simplex.sum(w, "weights"), drift = 0;
        int active = 0;
        for (int k = 0; k < K; k++)
            if (w[k] > 0) {
                drift += carry[k];
                active++;
            }
        drift /= active;
        var target = new double[K];
        for (int k = 0; k < K; k++) target[k] = w[k] > 0 ? w[k] / sum * b + (carry[k] - drift) : 0;
        int[] c = largestRemainder(target, b, w);
        for (int k = 0; k < K; k++) carry[k] = w[k] > 0 ? target[k] - c[k] : 0;
        return c;
    }

    /**
     * Non-negative integers summing to b, each floor or ceil of its target where the targets allow it;
     * domains with w_k = 0 get 0.
     */
    static int[] largestRemainder(double[] target, int b, double[] w) {
        int K = target.length;
        var c = new int[K];
        long given = 0;
        for (int k = 0; k < K; k++) {
            c[k] = w[k] > 0 && target[k] > 0 ? (int) Math.floor(target[k]) : 0;
            given += c[k];
        }
        while (given > b) { // only after negative targets: take back from the most served
            int worst = -1;
            for (int k = 0; k < K; k++)
                if (c[k] > 0 && (worst < 0 || target[k] - c[k] < target[worst] - c[worst])) worst = k;
            c[worst]--;
            given--;
        }
        var taken = new boolean[K];
        while (given < b) { // +1 to the largest remainders, ties to the lower index
            int best = -1;
            for (int k = 0; k < K; k++)
                if (w[k] > 0 && !taken[k] && (best < 0 || target[k] - c[k] > target[best] - c[best])) best = k;
            if (best < 0) {
                java.util.Arrays.fill(taken, false);
                continue;
            } // only through float fuzz
            taken[best] = true;
            c[best]++;
            given++;
        }
        return c;
    }
}
