package io.pikemix.training.spark;

import io.pikemix.format.Checks;
import io.pikemix.format.UserException;
import io.pikemix.mixer.GradientStats;
import io.pikemix.training.Corpus;
import io.pikemix.training.ModelKind;
import io.pikemix.training.RunFiles;
import io.pikemix.training.TrainConfig;
import io.pikemix.training.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Data-parallel training on Spark's own primitives (deploy/README.md, "Distributed training"): the {@link Trainer}'s
 * loop with {@link SparkEngine} computing its steps. The driver holds the mixer, the model and AdamW; every round
 * of A steps it broadcasts the parameters (and, for A &gt; 1, AdamW's moments), runs one task per worker
 * ({@code parallelize(0..n−1, n).map}), each on its share of every global manifest of the round ({@link Worker}),
 * and sums the workers' weighted tensors with {@code treeAggregate}.
 *
 * <ul>
 *   <li>A = 1: the sum is the gradient of the whole manifest, eq. 2; the driver clips it and takes the AdamW
 *       step. Same update as the single-process trainer, to float rounding.
 *   <li>A &gt; 1: local SGD. Each worker runs A AdamW steps from the broadcast state; parameters AND the moments
 *       (m, v) are averaged, weighted by rows; the iteration advances by A. Differs from the single-process run
 *       by O(lr·A) drift between averaging points.
 * </ul>
 *
 * Statistics: at a statistics step each worker estimates its own share's per-domain statistics (≥ 2
 * micro-batches per domain); the trainer pools them ({@link GradientStats#pool}: pooled means and variances,
 * not averaged norms) and reports to the mixer at the averaging point, so the new weights compose the manifests
 * of the next round. Writes the single-process run directory plus {@code workers.jsonl}.
 */
public final class SparkTrainer {
    private SparkTrainer() {}

    public static final String WORKERS = "workers.jsonl";

    /** @param workers n tasks per round; @param averageEvery A steps between averaging points */
    public record Options(int workers, int averageEvery) {
        public Options {
            Checks.require(workers >= 1, "--workers must be >= 1, got %d", workers);
            Checks.require(averageEvery >= 1, "--average-every must be >= 1, got %d", averageEvery);
        }
    }

    /** Trains {@code config.steps()} steps on the cluster behind {@code sc} into {@code run} (or continues it). */
    public static Trainer.Summary run(
            JavaSparkContext sc, TrainConfig config, Options options, CorpusSource source, Path run, boolean resume) {
        Corpus corpus = source.open();
        if (resume) {
            Options saved = readOptions(run);
            Checks.require(
                    saved == null || saved.equals(options),
                    "%s was trained with --workers %d --average-every %d; resume it with the same",
                    run,
                    saved == null ? 0 : saved.workers(),
                    saved == null ? 0 : saved.averageEvery());
        }
        var worker = new Worker(
                source,
                config.model(corpus.vocabSize(), corpus.context()),
                config.adam(),
                config.statistics(),
                options.workers(),
                config.seed());
        return Trainer.run(
                config, corpus, run, resume, ModelKind.ENGINE, new SparkEngine(sc, options, worker, corpus.names()));
    }

    /** The --workers/--average-every a run was started with, or null for a single-process run. */
    public static Options readOptions(Path run) {
        try {
            var node = RunFiles.MAPPER
                    .readTree(run.resolve(RunFiles.CONFIG).toFile())
                    .get("distributed");
            return node == null
                    ? null
                    : new Options(
                            node.get("workers").asInt(),
                            node.get("average_every").asInt());
        } catch (IOException e) {
            throw new UserException(run.resolve(RunFiles.CONFIG) + " is unreadable: " + e.getMessage(), e);
        }
    }
}
