package io.pikemix.training;

import io.pikemix.format.Checks;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.ShardStore;
import io.pikemix.mixer.DomainRows;
import java.nio.file.Path;
import java.util.List;

/**
 * What the trainer needs of a dataset: domain names, the mixer's view of the training split, per-domain token
 * counts and priors (for the token/temperature/static strategies), the vocabulary and context, and the rows.
 *
 * @param prior         per-domain prior weights from the corpus spec, or null when the spec has none
 * @param tokenizerHash SHA-256 of the tokenizer that made the token ids (dataset.json), or null for rows made
 *                      elsewhere (tests, benchmarks): a run records it and {@code --resume} checks it
 */
public record Corpus(
        List<String> names,
        List<DomainRows> trainRows,
        long[] tokens,
        double[] prior,
        int vocabSize,
        int context,
        RowSource train,
        RowSource val,
        String tokenizerHash) {
    public Corpus {
        Checks.require(
                train.rowLength() == context + 1,
                "rows hold %d tokens but context + 1 = %d",
                train.rowLength(),
                context + 1);
        Checks.require(
                names.size() == trainRows.size() && names.size() == train.domains() && names.size() == val.domains(),
                "domain lists disagree: %d names, %d training domains, %d sources",
                names.size(),
                trainRows.size(),
                train.domains());
    }

    /**
     * An ETL dataset (dataset.json and its Parquet shards) at a local path or any Hadoop FileSystem URI
     * ({@code hdfs://}, {@code s3a://}, {@code file://}); rows come from one {@link ShardStore} that keeps at most
     * {@code cacheBytes} of decoded shards (train and validation together).
     */
    public static Corpus open(String uri, long cacheBytes) {
        ShardStore store = ShardStore.open(uri, cacheBytes);
        DatasetInfo info = store.info();
        var names = info.domains().stream().map(DatasetInfo.DomainInfo::name).toList();
        long[] tokens = info.domains().stream()
                .mapToLong(d -> d.split("train").tokens())
                .toArray();
        boolean hasPrior = info.domains().stream().allMatch(d -> d.prior() != null);
        double[] prior = hasPrior
                ? info.domains().stream()
                        .mapToDouble(DatasetInfo.DomainInfo::prior)
                        .toArray()
                : null;
        return new Corpus(
                names,
                DomainRows.training(info),
                tokens,
                prior,
                info.tokenizer().vocabSize(),
                info.context(),
                new StoredRows(store, "train"),
                new StoredRows(store, "val"),
                info.tokenizer().contentHash());
    }

    /** {@link #open(String, long)} with the default cache bound ({@link ShardStore#DEFAULT_CACHE_MB}). */
    public static Corpus open(Path dir) {
        return open(dir.toString(), ShardStore.DEFAULT_CACHE_MB << 20);
    }

    /** One split of a {@link ShardStore} as the trainer's {@link RowSource}. */
    private record StoredRows(ShardStore store, String split) implements RowSource {
        @Override
        public int rowLength() {
            return store.rowLength();
        }

        @Override
        public int domains() {
            return store.info().domains().size();
        }

        @Override
        public long rows(int domain) {
            return store.rows(split, domain);
        }

        @Override
        public void copyRow(int domain, int shard, long row, int[] into) {
            store.copyRow(split, domain, shard, row, into, 0);
        }

        @Override
        public void copyRow(int domain, long globalRow, int[] into) {
            store.copyRow(split, domain, globalRow, into, 0);
        }
    }
}
