package io.pikemix.mixer;

import io.pikemix.format.Checks;

/**
 * Constants of Conceptual PiKE (Algorithm 2, eqs. (8)–(10)).
 *
 * @param eta        η, the step size (Table 6's peak learning rate 7e-4 is the default).
 * @param smoothness L, the Lipschitz constant of the gradients (eq. (5)); not reported in the paper, default 1.
 * @param batchSize  b, the global batch size (default 256).
 * @param cConflict  c̲ of Definition 3.2, used for β when {@code beta} is NaN; default 0 (no conflict, §3.1.1).
 * @param cAlign     c̄ of Definition 3.3, used for γ when {@code gamma} is NaN; default 1 (always true).
 * @param beta       β of eq. (8), or NaN to derive it: β = min_k (1 + c̲(−K + 2 − 1/w_k)) over w_k > 0.
 * @param gamma      γ of eq. (8), or NaN to derive it: γ = 1 + c̄(K − 1).
 */
public record ConceptualParams(
        double eta, double smoothness, int batchSize, double cConflict, double cAlign, double beta, double gamma) {
    public static final double DEFAULT_ETA = 7e-4;
    public static final double DEFAULT_SMOOTHNESS = 1;

    public ConceptualParams {
        Checks.require(Double.isFinite(eta) && eta > 0, "--eta must be finite and > 0, got %s", eta);
        Checks.require(Double.isFinite(smoothness) && smoothness > 0, "--L must be finite and > 0, got %s", smoothness);
        Checks.require(batchSize > 0, "--batch must be > 0, got %d", batchSize);
        Checks.require(cConflict >= 0 && cConflict <= 0.5, "c_conflict must be in [0, 1/2], got %s", cConflict);
        Checks.require(cAlign >= 0 && cAlign <= 1, "c_align must be in [0, 1], got %s", cAlign);
        Checks.require(
                Double.isNaN(beta) || (Double.isFinite(beta) && beta > 0),
                "--beta must be finite and > 0, got %s",
                beta);
        Checks.require(
                Double.isNaN(gamma) || (Double.isFinite(gamma) && gamma > 0),
                "--gamma must be finite and > 0, got %s",
                gamma);
    }

    /** η = 7e-4, L = 1, c̲ = 0, c̄ = 1, β and γ from eq. (8). */
    public static ConceptualParams defaults(int batchSize) {
        return new ConceptualParams(DEFAULT_ETA, DEFAULT_SMOOTHNESS, batchSize, 0, 1, Double.NaN, Double.NaN);
    }
}
