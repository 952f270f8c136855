package io.pikemix.mixer;

import io.pikemix.format.Checks;
import java.util.Arrays;

/**
 * Everything needed to resume the mixer at {@code step} and reproduce the uninterrupted run's manifests:
 * the weights in force, each domain's carried rounding remainder and its cursor (epoch = completed passes
 * over the domain, position = rows consumed of the current pass's permutation). Immutable.
 */
public record MixerState(long seed, long step, double[] weights, double[] carry, long[] epochs, long[] positions) {
    public MixerState {
        Checks.require(step >= 0, "state step must be >= 0, got %d", step);
        int K = weights.length;
        Checks.require(
                carry.length == K && epochs.length == K && positions.length == K,
                "state arrays disagree: %d weights, %d carries, %d epochs, %d positions",
                K,
                carry.length,
                epochs.length,
                positions.length);
        Simplex.require(weights);
        for (int k = 0; k < K; k++) {
            Checks.require(Double.isFinite(carry[k]), "state carry[%d] = %s must be finite", k, carry[k]);
            Checks.require(
                    epochs[k] >= 0 && positions[k] >= 0,
                    "state cursor of domain %d is (%d, %d)",
                    k,
                    epochs[k],
                    positions[k]);
        }
        weights = weights.clone();
        carry = carry.clone();
        epochs = epochs.clone();
        positions = positions.clone();
    }

    /** Step 0: the given weights, no carry, every cursor at the start of epoch 0. */
    public static MixerState initial(long seed, double[] weights) {
        int K = weights.length;
        return new MixerState(seed, 0, weights, new double[K], new long[K], new long[K]);
    }

    public MixerState withWeights(double[] newWeights) {
        Checks.require(
                newWeights.length == weights.length,
                "weights have %d entries but there are %d domains",
                newWeights.length,
                weights.length);
        return new MixerState(seed, step, newWeights, carry, epochs, positions);
    }

    /**
     * Epochs each domain has consumed, e_k = epochs_k + positions_k / rows_k (completed passes plus the share of the
     * current one; a pass that just ended counts as a whole epoch until the next one starts lazily).
     */
    public double[] epochsConsumed(long[] rows) {
        Checks.require(
                rows.length == weights.length,
                "row counts have %d entries but there are %d domains",
                rows.length,
                weights.length);
        var e = new double[rows.length];
        for (int k = 0; k < e.length; k++) e[k] = epochs[k] + (double) positions[k] / rows[k];
        return e;
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    @Override
    public double[] carry() {
        return carry.clone();
    }

    @Override
    public long[] epochs() {
        return epochs.clone();
    }

    @Override
    public long[] positions() {
        return positions.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MixerState s
                && seed == s.seed
                && step == s.step
                && Arrays.equals(weights, s.weights)
                && Arrays.equals(carry, s.carry)
                && Arrays.equals(epochs, s.epochs)
                && Arrays.equals(positions, s.positions);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {
            Long.hashCode(seed),
            Long.hashCode(step),
            Arrays.hashCode(weights),
            Arrays.hashCode(carry),
            Arrays.hashCode(epochs),
            Arrays.hashCode(positions)
        });
    }

    @Override
    public String toString() {
        return "MixerState[seed=" + seed + ", step=" + step + ", weights=" + Arrays.toString(weights)
                + ", carry=" + Arrays.toString(carry) + ", epochs=" + Arrays.toString(epochs)
                + ", positions=" + Arrays.toString(positions) + "]";
    }
}
