package io.pikemix.training.spark;

import io.pikemix.training.Corpus;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * How an executor opens the corpus: shipped with every task, opened once per executor and worker slot
 * ({@link WorkerRuntime}). {@link #dataset} reads an ETL output directory, which must be at the same path on
 * every executor (one machine, or a shared filesystem mounted alike).
 */
public interface CorpusSource extends Serializable {
    Corpus open();

    /** An ETL output directory (dataset.json and its shards). */
    static CorpusSource dataset(String dir) {
        return new Dataset(dir);
    }

    record Dataset(String dir) implements CorpusSource {
        @Override public Corpus open() { return Corpus.open(Path.of(dir)); }
    }
}
