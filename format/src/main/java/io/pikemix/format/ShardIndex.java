package io.pikemix.format;

/**
 * Prefix sums of a domain's shard row counts: global row → (shard, row in shard) by binary search. The one place
 * this mapping lives: the mixer's manifests and {@link ShardStore} both use it.
 */
public final class ShardIndex {
    private final long[] start; // start[s] = rows before shard s; start[S] = total
    private final int lastNonEmpty;

    /** @param counts rows of each shard, in shard order (as dataset.json lists them) */
    public ShardIndex(long[] counts) {
        start = new long[counts.length + 1];
        int last = 0;
        for (int s = 0; s < counts.length; s++) {
            start[s + 1] = start[s] + counts[s];
            if (counts[s] > 0) last = s;
        }
        lastNonEmpty = last;
    }

    public long total() {
        return start[start.length - 1];
    }

    /** The shard holding global row g (the last shard s with start[s] ≤ g, skipping empty shards). */
    public int shard(long g) {
        int lo = 0, hi = lastNonEmpty; // invariant: start[lo] ≤ g < start[hi + 1]
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (start[mid] <= g) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    public long rowInShard(long g, int shard) {
        return g - start[shard];
    }
}
