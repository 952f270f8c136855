package io.pikemix.training.spark;

import io.pikemix.training.Corpus;
import java.io.Serializable;

/**
 * How an executor opens the corpus: shipped with every task, opened once per executor and worker slot
 * ({@link WorkerRuntime}). {@link #dataset} reads an ETL output directory, by its URI (hdfs://, s3a://, file://) or a
 * bare path that must be at the same path on every executor (one machine, or a shared filesystem mounted alike).
 */
public interface CorpusSource extends Serializable {
    Corpus open();

    /** An ETL output directory (dataset.json and its shards); each worker slot caches at most cacheBytes of shards. */
    static CorpusSource dataset(String dir, long cacheBytes) {
        return new Dataset(dir, cacheBytes);
    }

    record Dataset(String dir, long cacheBytes) implements CorpusSource {
        @Override
        public Corpus open() {
            return Corpus.open(dir, cacheBytes);
        }
    }
}
