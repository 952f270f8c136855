package io.pikemix.mixer;

/**
 * A mixing strategy: current weights plus the latest per-domain statistics in, new weights out.
 * Implementations are pure (no clock, no global RNG, no IO) and never modify their arguments; every
 * returned weight vector lies on the simplex (non-negative, sums to 1). Build them with {@link Strategies}.
 */
public interface Strategy {
    /** The name used on the command line and in the weight history ("pike", "mix", ...). */
    String name();

    /** Weights in force before any statistics arrive (uniform, a prior, token-proportional, ...). */
    double[] initialWeights();

    /** Whether {@link #update} reads statistics (the PiKE family); the baselines ignore them. */
    default boolean usesStatistics() {
        return false;
    }

    /**
     * New weights from the weights in force and the latest statistics (validated here, with a message naming
     * the offending domain). Baselines return {@code weights} unchanged.
     */
    double[] update(double[] weights, DomainStats stats);

    /**
     * {@link #update} for strategies that also weigh data abundance: {@code epochsConsumed[k]} = completed passes
     * over domain k plus the fraction of the current pass ({@link MixerState#epochsConsumed}), or null when
     * unknown. The default ignores it; {@link Mixer#report} calls this one.
     */
    default double[] update(double[] weights, DomainStats stats, double[] epochsConsumed) {
        return update(weights, stats);
    }

    /**
     * The weights that compose the batch of {@code step}, given the weights in force. The identity, except for
     * Round-Robin and Random, which put the whole batch on one domain per step (a one-hot vector).
     */
    default double[] composition(long step, double[] weights) {
        return weights;
    }
}
