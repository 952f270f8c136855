package io.pikemix.etl;

import io.pikemix.etl.InputPlan.Task;
import io.pikemix.etl.tokenizer.BpeTrainer;
import io.pikemix.etl.tokenizer.HfTokenizerJson;
import io.pikemix.format.UserException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * {@code pike tokenizer train}: a byte-level BPE trained on the training split of a corpus (validation
 * documents are left out, so validation perplexity is not flattered). Pre-tokens are counted on the
 * executors; only distinct pre-tokens and their counts reach the driver, which runs the merges.
 */
public final class TokenizerTraining {
    private TokenizerTraining() {}

    public static void train(SparkSession spark, CorpusSpec spec, int vocabSize, Path out) throws IOException {
        List<Task> tasks = InputPlan.plan(spec, spark.sparkContext().hadoopConfiguration());
        var bpe = BpeTrainer.train(trainingTexts(spark, spec, tasks), vocabSize);
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent))
            throw new UserException("--out: directory does not exist: " + parent);
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        HfTokenizerJson.write(bpe, tmp);
        Files.move(
                tmp,
                out,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The texts of the training split of every domain, streamed on the executors (one document in memory per task). */
    static JavaRDD<String> trainingTexts(SparkSession spark, CorpusSpec spec, List<Task> tasks) {
        var jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        double valFraction = spec.valFraction();
        long seed = spec.splitSeed(), maxDoc = spec.maxDocBytes();
        Broadcast<SerializableConfiguration> conf =
                jsc.broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
        return jsc.parallelize(tasks, Math.max(1, tasks.size())).mapPartitions(it -> {
            if (!it.hasNext()) return Collections.emptyIterator();
            var reader = new DocumentReader(conf.value().value(), maxDoc, it.next(), (n, p) -> {});
            return new Iterator<String>() {
                String next = advance();

                String advance() {
                    try {
                        for (DocumentReader.Doc d; (d = reader.next()) != null; )
                            if (!PackTask.isValidation(d.utf8(), d.length(), valFraction, seed)) return d.text();
                        return null;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }

                @Override
                public boolean hasNext() {
                    return next != null;
                }

                @Override
                public String next() {
                    if (next == null) throw new NoSuchElementException();
                    String s = next;
                    next = advance();
                    return s;
                }
            };
        });
    }
}
