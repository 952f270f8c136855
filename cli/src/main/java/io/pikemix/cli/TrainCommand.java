package io.pikemix.cli;

import io.pikemix.format.Checks;
import io.pikemix.format.DatasetDir;
import io.pikemix.mixer.Strategies;
import io.pikemix.training.AdamW;
import io.pikemix.training.Corpus;
import io.pikemix.training.LrSchedule;
import io.pikemix.training.ModelKind;
import io.pikemix.training.TrainConfig;
import io.pikemix.training.Trainer;
import io.pikemix.training.spark.CorpusSource;
import io.pikemix.training.spark.SparkTrainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pike train}: trains the GPT on an ETL dataset with a mixing strategy, or continues a run
 * ({@code --resume RUN}). Defaults: the tiny demo model and Table 6's optimiser, scaled to CPU runs.
 */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Train the GPT decoder on a dataset with a data-mixing strategy (or --resume a run).",
            "Writes RUN/: config.json, metrics.jsonl, val.jsonl, weights.jsonl, stats.jsonl, manifest.jsonl, checkpoints/."
        })
public final class TrainCommand implements Callable<Integer> {
    @Mixin
    PikeOptions pikeOptions;

    @Mixin
    ModelOptions model;

    @Mixin
    SparkOptions spark;

    @Mixin
    ShardCacheOption shardCache;

    @Option(
            names = "--workers",
            paramLabel = "N",
            description =
                    "Train data-parallel on Spark with N workers (tasks per round); 0 = in this process (default ${DEFAULT-VALUE}).",
            defaultValue = "0")
    int workers;

    @Option(
            names = "--average-every",
            paramLabel = "A",
            description =
                    "With --workers: steps between averaging points; 1 = gradient averaging, exact (default ${DEFAULT-VALUE}).",
            defaultValue = "1")
    int averageEvery;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--out", paramLabel = "RUN", description = "New run directory.")
        Path out;

        @Option(names = "--resume", paramLabel = "RUN", description = "Continue this run from its newest checkpoint.")
        Path resume;
    }

    @Option(
            names = "--dataset",
            paramLabel = "URI",
            description =
                    "ETL output (dataset.json): a directory or a Hadoop URI (hdfs://, s3a://, file://); required for a new run.")
    String dataset;

    @Option(
            names = "--strategy",
            defaultValue = "mix",
            description = "One of: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).",
            completionCandidates = StrategyNames.class)
    String strategy;

    @Option(names = "--steps", description = "Optimiser steps (default 300; with --resume: the run's).")
    Long steps;

    @Option(names = "--batch", defaultValue = "16", description = "Rows per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--seed",
            defaultValue = "1337",
            description = "Seed of init, manifests and statistics rows (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--lr",
            defaultValue = "2e-3",
            description = "Peak learning rate (default ${DEFAULT-VALUE}; Table 6: 7e-4 for 120k steps).")
    double lrPeak;

    @Option(
            names = "--lr-init",
            defaultValue = "7e-6",
            description = "Initial learning rate (default ${DEFAULT-VALUE}).")
    double lrInit;

    @Option(
            names = "--lr-final",
            defaultValue = "7e-6",
            description = "Final learning rate (default ${DEFAULT-VALUE}).")
    double lrFinal;

    @Option(names = "--warmup", description = "Warm-up steps (default: 10% of --steps; Table 6: 10k of 120k).")
    Long warmup;

    @Option(names = "--beta1", defaultValue = "0.95", description = "AdamW β1 (default ${DEFAULT-VALUE}).")
    double beta1;

    @Option(names = "--beta2", defaultValue = "0.98", description = "AdamW β2 (default ${DEFAULT-VALUE}).")
    double beta2;

    @Option(
            names = "--weight-decay",
            defaultValue = "0.1",
            description = "Decoupled weight decay (default ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(
            names = "--clip",
            defaultValue = "1.0",
            description = "Global gradient-norm clip (default ${DEFAULT-VALUE}).")
    double clip;

    @Option(
            names = "--no-fused",
            negatable = true,
            defaultValue = "true",
            description =
                    "Steps without statistics run the mixed batch in one graph call (same gradient; default on). --no-fused: one call per domain.")
    boolean fused;

    @Option(
            names = "--checkpoint-every",
            defaultValue = "100",
            description = "Steps between checkpoints (default ${DEFAULT-VALUE}).")
    long checkpointEvery;

    @Option(
            names = "--eval-every",
            defaultValue = "50",
            description = "Steps between validation losses; 0 = never (default ${DEFAULT-VALUE}).")
    long evalEvery;

    @Option(
            names = "--val-rows",
            defaultValue = "64",
            description = "Validation rows per domain (evenly spaced; default ${DEFAULT-VALUE}).")
    int valRows;

    @Option(
            names = "--log-every",
            defaultValue = "1",
            description = "Steps between progress lines (default ${DEFAULT-VALUE}).")
    int logEvery;

    @Option(
            names = "--max-bad-steps",
            defaultValue = "0",
            description = {
                "Steps with a NaN or infinite loss or gradient that are rejected (no update; logged, and marked",
                "\"rejected\" in metrics.jsonl) before the run stops with an error; 0 stops at the first (default ${DEFAULT-VALUE})."
            })
    int maxBadSteps;

    @Option(
            names = "--engine",
            defaultValue = "engine",
            description = {
                "Model implementation: engine (hand-written forward and backward on",
                "ND4J ops) or samediff (the SameDiff reference); same model and checkpoints (default ${DEFAULT-VALUE}). --workers runs use the engine."
            })
    String engine;

    @Override
    public Integer call() {
        boundNativeMemory();
        Checks.require(workers >= 0, "--workers must be >= 0, got %d", workers);
        Checks.require(averageEvery >= 1, "--average-every must be >= 1, got %d", averageEvery);
        Checks.require(workers > 0 || averageEvery == 1, "--average-every needs --workers N");
        if (target.resume != null) {
            TrainConfig saved = Trainer.readConfig(target.resume);
            TrainConfig config = steps == null ? saved : saved.withSteps(steps);
            SparkTrainer.Options distributed = SparkTrainer.readOptions(target.resume);
            if (distributed != null) {
                Checks.require(
                        workers == 0 || workers == distributed.workers(),
                        "%s was trained with --workers %d",
                        target.resume,
                        distributed.workers());
                train(config, distributed, target.resume, true);
            } else {
                Checks.require(workers == 0, "%s is a single-process run; resume it without --workers", target.resume);
                Trainer.run(
                        config,
                        Corpus.open(config.dataset(), shardCache.bytes()),
                        target.resume,
                        true,
                        ModelKind.parse(engine));
            }
            return 0;
        }
        Checks.require(dataset != null, "--dataset DIR is required for a new run (or pass --resume RUN)");
        long s = steps == null ? 300 : steps;
        var config = new TrainConfig(
                DatasetDir.normalize(dataset),
                pikeOptions.strategySpec(strategy),
                batch,
                seed,
                model.shape(),
                new LrSchedule(lrInit, lrPeak, lrFinal, warmup == null ? s / 10 : warmup, s),
                new AdamW.Hyper(beta1, beta2, 1e-8, weightDecay, clip),
                new TrainConfig.Pike(pikeOptions.zeta1, pikeOptions.zeta2, pikeOptions.tau, pikeOptions.minWeight),
                model.statistics(2, fused),
                new TrainConfig.Cadence(checkpointEvery, evalEvery, valRows, logEvery, maxBadSteps));
        if (workers > 0) train(config, new SparkTrainer.Options(workers, averageEvery), target.out, false);
        else
            Trainer.run(
                    config,
                    Corpus.open(config.dataset(), shardCache.bytes()),
                    target.out,
                    false,
                    ModelKind.parse(engine));
        return 0;
    }

    /** The Spark run: this JVM is the driver (local[*] by default, or whatever spark-submit's master is). */
    private void train(TrainConfig config, SparkTrainer.Options options, Path run, boolean resume) {
        // one ND4J thread per executor core unless the user chose (two executors on two cores must not oversubscribe)
        if (System.getProperty("spark.executorEnv.OMP_NUM_THREADS") == null)
            spark.conf.putIfAbsent(
                    "spark.executorEnv.OMP_NUM_THREADS", System.getProperty("spark.executor.cores", "1"));
        try (SparkSession session = spark.open("pike train (" + options.workers() + " workers)");
                var sc = new JavaSparkContext(session.sparkContext())) {
            SparkTrainer.run(
                    sc, config, options, CorpusSource.dataset(config.dataset(), shardCache.bytes()), run, resume);
        }
    }

    /**
     * Bounds ND4J's off-heap memory unless the user set the limits (-D...): SameDiff's array cache is sized from
     * maxbytes and off-heap buffers are only freed when the GC runs, so without a bound RSS grows to several GB.
     * Must run before the first ND4J class loads (javacpp reads these once). Tiny model: peak RSS ≈ 2.7 GB.
     */
    static void boundNativeMemory() {
        if (System.getProperty("org.bytedeco.javacpp.maxbytes") == null)
            System.setProperty("org.bytedeco.javacpp.maxbytes", "1g");
        if (System.getProperty("org.bytedeco.javacpp.maxphysicalbytes") == null)
            System.setProperty("org.bytedeco.javacpp.maxphysicalbytes", "2500m");
    }

    static final class StrategyNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Strategies.NAMES.iterator();
        }
    }
}
