package io.pikemix.cli;

import io.pikemix.format.DatasetInfo;
import io.pikemix.training.Corpus;
import io.pikemix.training.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pike demo}: the README's main job. ETL of the embedded corpus (reused when DIR/dataset.json exists), then
 * the tiny GPT trained with Mix, temperature sampling (α = 0.3, the static mixture a user would otherwise pick) and
 * robust-pike for the same steps and seeds, each evaluated on all validation rows, the comparison table (the layout
 * of {@code pike compare}) and one line saying whether the differences exceed the seed-to-seed spread measured here.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "End to end on the embedded corpus: ETL (cached), train the tiny GPT with Mix, temperature (alpha 0.3)",
            "and robust-pike for the same seeds, evaluate all, print strategies x domains and one line saying whether",
            "the differences exceed the seed-to-seed spread (about five minutes on 2 cores)."
        })
public final class DemoCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(
            names = "--spec",
            paramLabel = "FILE",
            description = "Corpus spec (default: corpus/genres.yaml under pike.home).")
    Path spec;

    @Option(
            names = "--dataset",
            paramLabel = "DIR",
            description = "Dataset directory (default: data/genres under pike.home; built if absent).")
    Path dataset;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Where the runs go (default: runs/demo under pike.home).")
    Path out;

    @Option(
            names = "--strategies",
            split = ModelOptions.STRATEGY_SPLIT,
            defaultValue = "mix,temperature,robust-pike",
            description = "Strategies to compare, the reference first (default ${DEFAULT-VALUE}).")
    List<String> strategies;

    @Option(
            names = "--seeds",
            split = ",",
            defaultValue = "1,2",
            description = {
                "Seeds, each run with every strategy; the spread",
                "between them is what a difference must exceed (default ${DEFAULT-VALUE})."
            })
    List<Long> seeds;

    @Option(names = "--steps", defaultValue = "100", description = "Steps per run (default ${DEFAULT-VALUE}).")
    long steps;

    @Option(names = "--batch", defaultValue = "8", description = "Rows per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--zeta1",
            defaultValue = "0.01",
            description = "PiKE's zeta1, for --strategies pike (default ${DEFAULT-VALUE}, the paper's).")
    double zeta1;

    @Option(
            names = "--zeta2",
            description = {
                "PiKE's zeta2, for --strategies pike (default: 10*b/256, so that zeta2/(2b), the weight of",
                "the variance term, is the paper's 10/512 at b = 256; see training/README.md)."
            })
    Double zeta2;

    @Option(
            names = "--eval-every",
            defaultValue = "25",
            description = "Steps between validation losses (default ${DEFAULT-VALUE}).")
    long evalEvery;

    @Option(
            names = "--val-rows",
            defaultValue = "16",
            description = "Validation rows per domain during training (default ${DEFAULT-VALUE}).")
    int valRows;

    @Option(
            names = "--eval-rows",
            defaultValue = "0",
            description = "Validation rows per domain of the final evaluation (default: all).")
    int evalRows;

    @Option(
            names = "--log-every",
            defaultValue = "25",
            description = "Steps between progress lines (default ${DEFAULT-VALUE}).")
    int logEvery;

    @Option(
            names = "--engine",
            defaultValue = "engine",
            description = "engine or samediff (the reference; default ${DEFAULT-VALUE}).")
    String engine;

    @Override
    public Integer call() {
        TrainCommand.boundNativeMemory();
        ModelOptions.checkStrategies(strategies, seeds);
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
        System.err.printf(
                "demo: %s x seeds %s, %d steps each at batch %d, %s; statistics every %d steps, %d micro-batches per domain%n",
                String.join(" ", strategies),
                seeds,
                steps,
                batch,
                model.describe(),
                model.updateInterval,
                model.microBatches(DEMO_MICRO_BATCHES));
        var all = new ArrayList<CompareCommand.Run>();
        for (String strategy : strategies)
            for (long seed : seeds)
                all.add(new CompareCommand.Run(strategy, seed, runs.resolve(strategy + "-seed" + seed)));
        CompareCommand.trainAll(
                "demo",
                all,
                r -> config(data, r.strategy(), r.seed()),
                corpus,
                steps,
                evalRows,
                batch,
                io.pikemix.training.ModelKind.parse(engine));
        var report = CompareCommand.Report.of(all, strategies, corpus.names());
        System.out.print(report.markdown(String.format(
                java.util.Locale.ROOT,
                "dataset %s; %d steps at batch %d; %s; seeds %s",
                data,
                steps,
                batch,
                model.describe(),
                seeds)));
        System.out.println();
        System.out.println(verdict(report.runs(), strategies.get(0)));
        return 0;
    }

    /**
     * The demo's one-line conclusion. Per strategy s, m_s = its loss averaged over the seeds; the seed-to-seed
     * spread is the largest range (max − min over seeds) of any strategy's mean validation loss. A difference
     * m_s − m_ref is marked only when it exceeds that spread (with 2 seeds, a hint rather than a test); with one seed
     * there is no spread, and nothing is marked. The line names the best strategy and every difference from the reference (negative = better).
     */
    static String verdict(List<CompareCommand.Report.RunRow> runs, String reference) {
        var order = new ArrayList<String>();
        for (var r : runs) if (!order.contains(r.strategy())) order.add(r.strategy());
        var mean = new java.util.LinkedHashMap<String, Double>();
        double spread = 0;
        int seeds = Integer.MAX_VALUE;
        for (String s : order) {
            double[] v = runs.stream()
                    .filter(r -> r.strategy().equals(s))
                    .mapToDouble(CompareCommand.Report.RunRow::mean)
                    .toArray();
            mean.put(s, java.util.Arrays.stream(v).average().orElseThrow());
            spread = Math.max(
                    spread,
                    java.util.Arrays.stream(v).max().orElseThrow()
                            - java.util.Arrays.stream(v).min().orElseThrow());
            seeds = Math.min(seeds, v.length);
        }
        String best = order.stream()
                .min(java.util.Comparator.comparingDouble(mean::get))
                .orElseThrow();
        var diffs = new ArrayList<String>();
        boolean anyReal = false;
        for (String s : order) {
            if (s.equals(reference)) continue;
            double d = mean.get(s) - mean.get(reference);
            boolean real = seeds > 1 && Math.abs(d) > spread;
            anyReal |= real;
            diffs.add(String.format(java.util.Locale.ROOT, "%s %+.3f%s", s, d, real ? " (beyond the spread)" : ""));
        }
        String head = String.format(
                java.util.Locale.ROOT,
                "verdict: lowest mean loss %s (%.3f); vs %s: %s; ",
                best,
                mean.get(best),
                reference,
                String.join(", ", diffs));
        if (seeds < 2)
            return head
                    + "one seed measures no seed-to-seed spread, so this cannot tell a real difference from noise (use --seeds 1,2,3 or bench/quality)";
        String spreadText =
                String.format(java.util.Locale.ROOT, "seed-to-seed spread %.3f over %d seeds", spread, seeds);
        return head
                + spreadText
                + (anyReal
                        ? ": the differences marked exceed it"
                                + (seeds < 3 ? " (with 2 seeds a hint, not proof: bench/quality runs 3)" : "")
                        : ": no difference exceeds it, so this budget cannot show a real difference (bench/quality runs longer, with more seeds)");
    }

    /** At the demo's batch of 8, 4 micro-batches of one row each: the estimate sees 4 rows per domain. */
    static final int DEMO_MICRO_BATCHES = 4;

    TrainConfig config(Path data, String strategy, long seed) {
        return model.config(
                data.toAbsolutePath().normalize().toString(),
                strategy,
                batch,
                seed,
                steps,
                2e-3,
                new TrainConfig.Pike(
                        zeta1,
                        zeta2(),
                        io.pikemix.mixer.PikeParams.DEFAULT_TAU,
                        io.pikemix.mixer.PikeParams.DEFAULT_MIN_WEIGHT),
                DEMO_MICRO_BATCHES,
                new TrainConfig.Cadence(Math.max(1, steps / 2), evalEvery, valRows, logEvery));
    }

    /**
     * ζ2 for batch b: the paper tuned ζ2 ∈ {5, 10, 15} at b = 256 (Table 7), where the σ_k² term of Algorithm 1
     * weighs ζ2/(2b) = 10/512. Keeping that coefficient at a small demo batch means ζ2 = 10·b/256; the paper's
     * ζ2 = 10 at b = 8 would weigh σ_k² 32× more, and one update would move the weights by factors up to e^100.
     */
    double zeta2() {
        return zeta2 != null
                ? zeta2
                : io.pikemix.mixer.PikeParams.DEFAULT_ZETA2 * batch / io.pikemix.mixer.PikeParams.DEFAULT_BATCH;
    }
}
