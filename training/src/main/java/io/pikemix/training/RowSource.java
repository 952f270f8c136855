package io.pikemix.training;

/**
 * Where training and validation rows come from: a {@link io.pikemix.format.ShardStore} over an ETL dataset ({@link Corpus#open(String, long)}), or an in-memory
 * source in tests. Every row holds {@link #rowLength()} = context + 1 token ids.
 */
public interface RowSource {
    int rowLength();

    int domains();

    /** Rows of a domain (in this source's split). */
    long rows(int domain);

    /** Row {@code row} of shard {@code shard} of a domain, as the mixer's manifests address it. */
    void copyRow(int domain, int shard, long row, int[] into);

    /** The domain's {@code globalRow}-th row across its shards in order. */
    void copyRow(int domain, long globalRow, int[] into);
}
