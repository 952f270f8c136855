package io.pikemix.mixer;

import io.pikemix.format.Checks;
import java.util.Arrays;

/**
 * The rows of one step: row j of the batch is row {@code row[j]} of domain {@code domain[j]}, stored as row
 * {@code shardRow[j]} of shard {@code shard[j]} ({@code OUT/<domain>/train/part-<shard>.parquet}). Rows are
 * grouped by domain (domain 0 first), in permutation order within a domain. {@code weights} are the weights
 * that composed the step, {@code counts[k]} = rows of domain k, {@code epochs[k]} = the epoch (completed
 * passes) domain k's cursor is in after this step; an epoch > 0 means its rows are being repeated. A row can
 * appear twice in one step only when its domain wraps into a new epoch within the step (b_k > rows left).
 * Arrays are not copied on access; treat them as read-only.
 */
public record StepManifest(
        long step,
        double[] weights,
        int[] counts,
        long[] epochs,
        int[] domain,
        long[] row,
        int[] shard,
        long[] shardRow)
        implements java.io.Serializable {

    /** Rows in this manifest. */
    public int size() {
        return domain.length;
    }

    /**
     * Worker {@code worker}'s share of the step among {@code workers}: the rows j with j mod workers = worker.
     * The shares partition the step; each worker gets ⌊b/n⌋ or ⌈b/n⌉ rows and, because rows are grouped by
     * domain, ⌊c_k/n⌋ or ⌈c_k/n⌉ rows of each domain k, so every worker sees every domain of the step it can.
     */
    public StepManifest share(int worker, int workers) {
        Checks.require(
                workers > 0 && worker >= 0 && worker < workers,
                "worker must be in [0, workers), got worker %d of %d",
                worker,
                workers);
        int n = (size() - worker + workers - 1) / workers;
        var d = new int[n];
        var r = new long[n];
        var s = new int[n];
        var sr = new long[n];
        var c = new int[counts.length];
        for (int i = 0, j = worker; j < size(); i++, j += workers) {
            d[i] = domain[j];
            r[i] = row[j];
            s[i] = shard[j];
            sr[i] = shardRow[j];
            c[d[i]]++;
        }
        return new StepManifest(step, weights, c, epochs, d, r, s, sr);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StepManifest m
                && step == m.step
                && Arrays.equals(weights, m.weights)
                && Arrays.equals(counts, m.counts)
                && Arrays.equals(epochs, m.epochs)
                && Arrays.equals(domain, m.domain)
                && Arrays.equals(row, m.row)
                && Arrays.equals(shard, m.shard)
                && Arrays.equals(shardRow, m.shardRow);
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(step) + Arrays.hashCode(row);
    }

    @Override
    public String toString() {
        return "StepManifest[step=" + step + ", counts=" + Arrays.toString(counts) + ", epochs="
                + Arrays.toString(epochs) + ", rows=" + size() + "]";
    }
}
