package io.pikemix.training.spark;

import io.pikemix.mixer.StepManifest;

import java.io.Serializable;
import java.util.List;

/**
 * What the driver broadcasts for one averaging round of A steps: the parameters at its start, AdamW's moments
 * and iteration (only when A > 1: with A = 1 the driver keeps the optimiser), and the round's global
 * manifests with their learning rates and whether each is a statistics step. Every worker takes its own share
 * of each manifest ({@link StepManifest#share}).
 */
record Round(long index, Tensors params, Tensors adam, long adamIteration, List<Step> steps) implements Serializable {

    /** One step of the round: a global manifest (as plain arrays), its learning rate and the statistics flag. */
    record Step(long step, double lr, boolean stats, double[] weights, int[] counts, long[] epochs, int[] domain,
                long[] row, int[] shard, long[] shardRow) implements Serializable {
        static Step of(StepManifest m, double lr, boolean stats) {
            return new Step(m.step(), lr, stats, m.weights(), m.counts(), m.epochs(), m.domain(), m.row(), m.shard(), m.shardRow());
        }

        StepManifest manifest() { return new StepManifest(step, weights, counts, epochs, domain, row, shard, shardRow); }

        int rows() { return domain.length; }
    }
}
