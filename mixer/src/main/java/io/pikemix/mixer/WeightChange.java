package io.pikemix.mixer;

import java.util.Arrays;

/**
 * One line of the weight history: from {@code step} on, {@code weights} are in force, because of
 * {@code cause} ("initial", "statistics" with the {@code stats} that drove the update, or "pin" for an
 * operator's choice; {@code stats} is null except for "statistics").
 */
public record WeightChange(long step, String strategy, String cause, double[] weights, DomainStats stats) {
    @Override
    public double[] weights() {
        return weights.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WeightChange c
                && step == c.step
                && strategy.equals(c.strategy)
                && cause.equals(c.cause)
                && Arrays.equals(weights, c.weights)
                && java.util.Objects.equals(stats, c.stats);
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(step) + Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        return "WeightChange[step=" + step + ", " + strategy + ", " + cause + ", " + Arrays.toString(weights) + "]";
    }
}
