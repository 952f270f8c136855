package io.pikemix.mixer;

import io.pikemix.format.Checks;
import java.util.Arrays;

/**
 * One domain's training split as the mixer sees it: its name and the row (packed sequence) count of each
 * shard {@code OUT/<name>/train/part-NNNNN.parquet}, in shard order. Global row index g ∈ [0, Σ counts) maps
 * to the shard s with prefix(s) ≤ g < prefix(s+1) and row g − prefix(s) inside it.
 */
public record DomainRows(String name, long[] shardRowCounts) {
    public DomainRows {
        Checks.require(name != null && !name.isBlank(), "domain name is empty");
        Checks.require(shardRowCounts != null && shardRowCounts.length > 0, "domain '%s' lists no shards", name);
        long total = 0;
        for (int s = 0; s < shardRowCounts.length; s++) {
            Checks.require(shardRowCounts[s] >= 0, "domain '%s' shard %d has %d rows", name, s, shardRowCounts[s]);
            total = Math.addExact(total, shardRowCounts[s]);
        }
        Checks.require(
                total > 0, "domain '%s' has no training sequences; drop it from the mix or re-run the ETL", name);
        shardRowCounts = shardRowCounts.clone();
    }

    /**
     * The training split of every domain of an ETL dataset (dataset.json), in dataset order: shard row
     * counts exactly as the ETL wrote them, so (shard, row) in a manifest addresses
     * {@code DIR/<name>/train/part-NNNNN.parquet}, row {@code row}.
     */
    public static java.util.List<DomainRows> training(io.pikemix.format.DatasetInfo dataset) {
        return dataset.domains().stream()
                .map(d -> new DomainRows(
                        d.name(),
                        d.split("train").shards().stream()
                                .mapToLong(io.pikemix.format.DatasetInfo.ShardInfo::rows)
                                .toArray()))
                .toList();
    }

    /** Total rows (sequences) of the domain. */
    public long sequences() {
        long total = 0;
        for (long c : shardRowCounts) total += c;
        return total;
    }

    @Override
    public long[] shardRowCounts() {
        return shardRowCounts.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DomainRows d && name.equals(d.name) && Arrays.equals(shardRowCounts, d.shardRowCounts);
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(shardRowCounts);
    }

    @Override
    public String toString() {
        return "DomainRows[" + name + ", " + shardRowCounts.length + " shards, " + sequences() + " rows]";
    }
}
