package io.pikemix.mixer;

import io.pikemix.format.Checks;
import io.pikemix.format.ShardIndex;

/**
 * The manifest of one step as a pure function of (seed, step, weights in force, per-domain row counts,
 * carries, cursors): counts by {@link Apportion}, then each domain's next rows taken without replacement
 * from its keyed permutation of the current epoch ({@link Feistel} keyed by (seed, domain, epoch)); a domain
 * that runs out starts its next epoch with a fresh permutation. Nothing but the state changes between steps,
 * so resuming from a saved {@link MixerState} reproduces the uninterrupted run exactly.
 */
final class Manifests {
    private Manifests() {}

    static Mixer.Planned plan(MixConfig config, ShardIndex[] shards, double[] composition, MixerState state) {
        int K = config.domainCount();
        Checks.require(
                composition.length == K, "weights have %d entries but there are %d domains", composition.length, K);
        int b = config.batchSize();
        double[] carry = state.carry();
        int[] counts = config.rounding() == Rounding.CARRY
                ? Apportion.countsWithCarry(composition, b, carry)
                : Apportion.counts(composition, b);
        long[] epochs = state.epochs(), positions = state.positions();
        var domain = new int[b];
        var row = new long[b];
        var shard = new int[b];
        var shardRow = new long[b];
        int j = 0;
        for (int k = 0; k < K; k++) {
            if (counts[k] == 0) continue;
            ShardIndex index = shards[k];
            long n = index.total();
            var perm = new Feistel(n, state.seed(), k, epochs[k]);
            for (int i = 0; i < counts[k]; i++, j++) {
                if (positions[k] >= n) {
                    epochs[k]++;
                    positions[k] = 0;
                    perm = new Feistel(n, state.seed(), k, epochs[k]);
                }
                long g = perm.apply(positions[k]++);
                int s = index.shard(g);
                domain[j] = k;
                row[j] = g;
                shard[j] = s;
                shardRow[j] = index.rowInShard(g, s);
            }
        }
        var manifest = new StepManifest(
                state.step(), composition.clone(), counts, epochs.clone(), domain, row, shard, shardRow);
        var next = new MixerState(state.seed(), state.step() + 1, state.weights(), carry, epochs, positions);
        return new Mixer.Planned(manifest, next);
    }
}
