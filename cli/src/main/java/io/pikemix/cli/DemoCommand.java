package io.pikemix.cli;

import io.pikemix.evaluation.Comparison;
import io.pikemix.evaluation.RunEvaluation;
import io.pikemix.format.DatasetInfo;
import io.pikemix.training.Corpus;
import io.pikemix.training.RunFiles;
import io.pikemix.training.TrainConfig;
import io.pikemix.training.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code pike demo}: the README's main job. ETL of the embedded corpus (reused when DIR/dataset.json exists), then
 * the tiny GPT trained with each strategy for the same steps and seed, each evaluated, and the comparison table.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"End to end on the embedded corpus: ETL (cached), train the tiny GPT with Mix and with PiKE,",
                "evaluate both and print strategies x domains (about ten minutes on 2 cores)."})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--spec", paramLabel = "FILE", description = "Corpus spec (default: corpus/genres.yaml under pike.home).") Path spec;
    @Option(names = "--dataset", paramLabel = "DIR", description = "Dataset directory (default: data/genres under pike.home; built if absent).") Path dataset;
    @Option(names = "--out", paramLabel = "DIR", description = "Where the runs go (default: runs/demo under pike.home).") Path out;
    @Option(names = "--strategies", split = ",", defaultValue = "mix,pike", description = "Strategies to compare, baseline first (default ${DEFAULT-VALUE}).")
    List<String> strategies;
    @Option(names = "--steps", defaultValue = "150", description = "Steps per run (default ${DEFAULT-VALUE}).") long steps;
    @Option(names = "--batch", defaultValue = "8", description = "Rows per step (default ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--update-interval", defaultValue = "25", description = "PiKE's T (default ${DEFAULT-VALUE}).") int updateInterval;
    @Option(names = "--stats-micro-batches", defaultValue = "4", description = {"Micro-batches per domain at a statistics step",
            "(default ${DEFAULT-VALUE}: at batch 8 each holds one row, so the estimate sees 4 rows per domain)."}) int statsMicroBatches;
    @Option(names = "--zeta1", defaultValue = "0.01", description = "PiKE's zeta1 (default ${DEFAULT-VALUE}, the paper's).") double zeta1;
    @Option(names = "--zeta2", description = {"PiKE's zeta2 (default: 10*b/256, so that zeta2/(2b), the weight of the variance term,",
            "is the paper's 10/512 at b = 256; see training/README.md)."}) Double zeta2;
    @Option(names = "--eval-every", defaultValue = "25", description = "Steps between validation losses (default ${DEFAULT-VALUE}).") long evalEvery;
    @Option(names = "--val-rows", defaultValue = "16", description = "Validation rows per domain during training (default ${DEFAULT-VALUE}).") int valRows;
    @Option(names = "--eval-rows", defaultValue = "0", description = "Validation rows per domain of the final evaluation (default: all).") int evalRows;
    @Option(names = "--seed", defaultValue = "1337", description = "Seed (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--log-every", defaultValue = "10", description = "Steps between progress lines (default ${DEFAULT-VALUE}).") int logEvery;
    @Option(names = "--engine", defaultValue = "engine", description = "engine or samediff (the reference; default ${DEFAULT-VALUE}).") String engine;

    @Override public Integer call() {
        TrainCommand.boundNativeMemory();
        Path home = Path.of(System.getProperty("pike.home", "."));
        Path data = dataset != null ? dataset : home.resolve("data/genres");
        Path runs = out != null ? out : home.resolve("runs/demo");
        if (!Files.exists(data.resolve(DatasetInfo.FILE_NAME))) {
            Path s = spec != null ? spec : home.resolve("corpus/genres.yaml");
            System.err.println("demo: building dataset " + data + " from " + s);
            int status = Main.run("etl", "--spec", s.toString(), "--out", data.toString());
            if (status != 0) return status;
        } else {
            System.err.println("demo: reusing dataset " + data);
        }
        Corpus corpus = Corpus.open(data);
        System.err.printf("demo: %d steps per strategy at batch %d; PiKE: T = %d, %d micro-batches per domain, zeta1 = %s, zeta2 = %s (zeta2/(2b) = %.4f)%n",
                steps, batch, updateInterval, statsMicroBatches, zeta1, zeta2(), zeta2() / (2.0 * batch));
        var dirs = new ArrayList<Path>();
        for (String strategy : strategies) {
            Path run = runs.resolve(strategy);
            dirs.add(run);
            if (Files.exists(run.resolve(RunEvaluation.FILE)) && Files.exists(run.resolve(RunFiles.CONFIG))
                    && Trainer.readConfig(run).equals(config(data, strategy))) {
                System.err.println("demo: reusing finished run " + run);
                continue;
            }
            deleteRun(run);
            System.err.printf("demo: training %s (%d of %d) for %d steps -> %s%n", strategy, dirs.size(), strategies.size(), steps, run);
            Trainer.run(config(data, strategy), corpus, run, false, io.pikemix.training.ModelKind.parse(engine));
            EvalCommand.print(RunEvaluation.evaluate(run, evalRows, batch, io.pikemix.training.ModelKind.parse(engine)), System.out);
        }
        EvalCommand.printComparison(Comparison.compare(dirs), System.out);
        return 0;
    }

    TrainConfig config(Path data, String strategy) {
        return new TrainConfig(data.toAbsolutePath().normalize().toString(), strategy, batch, seed, TrainConfig.ModelShape.tiny(),
                new io.pikemix.training.LrSchedule(7e-6, 2e-3, 7e-6, steps / 10, steps), io.pikemix.training.AdamW.Hyper.table6(),
                new TrainConfig.Pike(zeta1, zeta2(), io.pikemix.mixer.PikeParams.DEFAULT_TAU, io.pikemix.mixer.PikeParams.DEFAULT_MIN_WEIGHT),
                new TrainConfig.Statistics(updateInterval, statsMicroBatches, true),
                new TrainConfig.Cadence(Math.max(1, steps / 2), evalEvery, valRows, logEvery));
    }

    /**
     * ζ2 for batch b: the paper tuned ζ2 ∈ {5, 10, 15} at b = 256 (Table 7), where the σ_k² term of Algorithm 1
     * weighs ζ2/(2b) = 10/512. Keeping that coefficient at a small demo batch means ζ2 = 10·b/256; the paper's
     * ζ2 = 10 at b = 8 would weigh σ_k² 32× more, and one update would move the weights by factors up to e^100.
     */
    double zeta2() {
        return zeta2 != null ? zeta2 : io.pikemix.mixer.PikeParams.DEFAULT_ZETA2 * batch / io.pikemix.mixer.PikeParams.DEFAULT_BATCH;
    }

    private static void deleteRun(Path run) {
        if (!Files.exists(run)) return;
        try (var s = Files.walk(run)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
