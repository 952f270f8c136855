package io.pikemix.training.spark;

import io.pikemix.format.ShardStore;
import io.pikemix.training.Corpus;

import java.io.Serializable;

/**
 * How an executor opens the corpus: shipped with every task, opened once per executor and worker slot
 * ({@link WorkerRuntime}). {@link #dataset} reads an ETL dataset by its URI ({@code hdfs://}, {@code s3a://},
 * {@code file://} or a bare local path), which each executor resolves with its own Hadoop configuration: a
 * dataset on HDFS or S3 is read from there, a bare path must exist at that path on every executor.
 */
public interface CorpusSource extends Serializable {
    Corpus open();

    /** An ETL dataset (dataset.json and its shards), each worker slot caching at most {@code cacheBytes} of shards. */
    static CorpusSource dataset(String uri, long cacheBytes) {
        return new Dataset(uri, cacheBytes);
    }

    /** {@link #dataset(String, long)} with the default cache bound. */
    static CorpusSource dataset(String uri) {
        return new Dataset(uri, ShardStore.DEFAULT_CACHE_MB << 20);
    }

    record Dataset(String uri, long cacheBytes) implements CorpusSource {
        @Override public Corpus open() { return Corpus.open(uri, cacheBytes); }
    }
}
