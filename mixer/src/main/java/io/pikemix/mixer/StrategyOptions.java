package io.pikemix.mixer;

import io.pikemix.format.Checks;
import java.util.Arrays;
import java.util.Locale;

/**
 * A strategy as the command line describes it, shared by {@code pike train}, {@code pike weights} and
 * {@code pike mixer serve}. The batch size b and the seed are not here: {@link Strategies#forDataset} takes them
 * from the run's {@link MixConfig}, so b is given once.
 *
 * @param name       one of {@link Strategies#NAMES}
 * @param prior      initial weights of the PiKE family, fixed weights of "static", probabilities of "random";
 *                   null = uniform
 * @param alpha      temperature exponent α of "temperature" (default {@link Strategies#DEFAULT_ALPHA})
 * @param zeta1      PiKE ζ1 (see {@link PikeParams})
 * @param zeta2      PiKE ζ2
 * @param tau        Fair-PiKE τ
 * @param minWeight  floor on every weight after a PiKE/Fair-PiKE update
 * @param eta        Conceptual PiKE η (see {@link ConceptualParams})
 * @param smoothness Conceptual PiKE L
 * @param cConflict  c̲ for β
 * @param cAlign     c̄ for γ
 * @param beta       β of eq. (8), or NaN to derive it from c̲
 * @param gamma      γ of eq. (8), or NaN to derive it from c̄
 */
public record StrategyOptions(
        String name,
        double[] prior,
        double alpha,
        double zeta1,
        double zeta2,
        double tau,
        double minWeight,
        double eta,
        double smoothness,
        double cConflict,
        double cAlign,
        double beta,
        double gamma) {
    public StrategyOptions {
        Checks.require(
                name != null, "a strategy name is required; expected one of %s", String.join(", ", Strategies.NAMES));
        prior = prior == null ? null : prior.clone();
    }

    /** {@code name} with every default: uniform prior, mT5's α, Table 7's ζ, τ = 3, eq. (8)'s β and γ. */
    public static StrategyOptions defaults(String name) {
        return new StrategyOptions(
                name,
                null,
                Strategies.DEFAULT_ALPHA,
                PikeParams.DEFAULT_ZETA1,
                PikeParams.DEFAULT_ZETA2,
                PikeParams.DEFAULT_TAU,
                PikeParams.DEFAULT_MIN_WEIGHT,
                ConceptualParams.DEFAULT_ETA,
                ConceptualParams.DEFAULT_SMOOTHNESS,
                0,
                1,
                Double.NaN,
                Double.NaN);
    }

    public StrategyOptions withPrior(double[] newPrior) {
        return new StrategyOptions(
                name, newPrior, alpha, zeta1, zeta2, tau, minWeight, eta, smoothness, cConflict, cAlign, beta, gamma);
    }

    public StrategyOptions withAlpha(double newAlpha) {
        return new StrategyOptions(
                name, prior, newAlpha, zeta1, zeta2, tau, minWeight, eta, smoothness, cConflict, cAlign, beta, gamma);
    }

    /** PiKE / Fair-PiKE hyperparameters (Algorithms 1 and 3). */
    public StrategyOptions withPike(double newZeta1, double newZeta2, double newTau, double newMinWeight) {
        return new StrategyOptions(
                name,
                prior,
                alpha,
                newZeta1,
                newZeta2,
                newTau,
                newMinWeight,
                eta,
                smoothness,
                cConflict,
                cAlign,
                beta,
                gamma);
    }

    /** Conceptual PiKE constants (Algorithm 2, eq. (8)); NaN for β or γ derives it. */
    public StrategyOptions withConceptual(
            double newEta,
            double newSmoothness,
            double newCConflict,
            double newCAlign,
            double newBeta,
            double newGamma) {
        return new StrategyOptions(
                name,
                prior,
                alpha,
                zeta1,
                zeta2,
                tau,
                minWeight,
                newEta,
                newSmoothness,
                newCConflict,
                newCAlign,
                newBeta,
                newGamma);
    }

    /** PiKE's parameters at global batch size b. */
    public PikeParams pike(int batchSize) {
        return new PikeParams(zeta1, zeta2, batchSize, tau, minWeight);
    }

    /** Conceptual PiKE's parameters at global batch size b. */
    public ConceptualParams conceptual(int batchSize) {
        return new ConceptualParams(eta, smoothness, batchSize, cConflict, cAlign, beta, gamma);
    }

    /** The PiKE-family settings as text, e.g. for STATE/service.json, which refuses a restart with other settings. */
    public String settings() {
        return String.format(
                Locale.ROOT, "zeta1=%s zeta2=%s tau=%s min_weight=%s alpha=%s", zeta1, zeta2, tau, minWeight, alpha);
    }

    @Override
    public double[] prior() {
        return prior == null ? null : prior.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StrategyOptions s
                && name.equals(s.name)
                && Arrays.equals(prior, s.prior)
                && Double.compare(alpha, s.alpha) == 0
                && Double.compare(zeta1, s.zeta1) == 0
                && Double.compare(zeta2, s.zeta2) == 0
                && Double.compare(tau, s.tau) == 0
                && Double.compare(minWeight, s.minWeight) == 0
                && Double.compare(eta, s.eta) == 0
                && Double.compare(smoothness, s.smoothness) == 0
                && Double.compare(cConflict, s.cConflict) == 0
                && Double.compare(cAlign, s.cAlign) == 0
                && Double.compare(beta, s.beta) == 0
                && Double.compare(gamma, s.gamma) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(prior);
    }

    @Override
    public String toString() {
        return "StrategyOptions[" + name + ", prior=" + Arrays.toString(prior) + ", " + settings() + "]";
    }
}
