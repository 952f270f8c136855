package io.pikemix.mixer;

import io.pikemix.format.Checks;

/**
 * Hyperparameters of PiKE (Algorithm 1) and Fair-PiKE (Algorithm 3).
 *
 * @param zeta1     ζ1, coefficient of ‖∇L_k‖². Table 7 tunes it over {0.025, 0.01, 0.75}; default 0.01.
 * @param zeta2     ζ2, coefficient of σ_k²/(2b). Table 7 tunes it over {5, 10, 15}; default 10.
 * @param batchSize b, the global batch size (Table 6: 256).
 * @param tau       τ of Fair-PiKE (§4.2 tries 1, 3, 5; τ = 3 balanced best in Table 1); ignored by PiKE.
 * @param minWeight floor on every weight after an update (see {@link PikeUpdate}); 0 keeps the paper's update.
 */
public record PikeParams(double zeta1, double zeta2, int batchSize, double tau, double minWeight) {
    public static final double DEFAULT_ZETA1 = 0.01;
    public static final double DEFAULT_ZETA2 = 10;
    public static final int DEFAULT_BATCH = 256;
    public static final double DEFAULT_TAU = 3;
    public static final double DEFAULT_MIN_WEIGHT = 1e-6;

    public PikeParams {
        Checks.require(Double.isFinite(zeta1) && zeta1 >= 0, "--zeta1 must be finite and >= 0, got %s", zeta1);
        Checks.require(Double.isFinite(zeta2) && zeta2 >= 0, "--zeta2 must be finite and >= 0, got %s", zeta2);
        Checks.require(batchSize > 0, "--batch must be > 0, got %d", batchSize);
        Checks.require(Double.isFinite(tau) && tau > 0, "--tau must be finite and > 0, got %s", tau);
        Checks.require(minWeight >= 0 && minWeight < 1, "min weight must be in [0, 1), got %s", minWeight);
    }

    /** The defaults above for a given global batch size. */
    public static PikeParams defaults(int batchSize) {
        return new PikeParams(DEFAULT_ZETA1, DEFAULT_ZETA2, batchSize, DEFAULT_TAU, DEFAULT_MIN_WEIGHT);
    }
}
