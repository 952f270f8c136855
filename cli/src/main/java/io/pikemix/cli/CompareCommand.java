package io.pikemix.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.evaluation.Comparison;
import io.pikemix.evaluation.RunEvaluation;
import io.pikemix.format.Checks;
import io.pikemix.format.DatasetInfo;
import io.pikemix.training.Checkpoint;
import io.pikemix.training.Corpus;
import io.pikemix.training.ModelKind;
import io.pikemix.training.RunFiles;
import io.pikemix.training.TrainConfig;
import io.pikemix.training.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pike compare}: every strategy × seed trained with the same model, steps and batch on one dataset (built by
 * the ETL when absent, then reused), each evaluated on all validation rows, and the comparison written as
 * {@code OUT/report.md} (the paper's Tables 1–2 layout: strategies as rows) and {@code OUT/report.json}:
 *
 * <pre>{"runs": [{"strategy", "seed", "mean_val_loss", "worst_val_loss", "domains": {NAME: loss}, "steps_to_reference"}],
 *  "summary": [{"strategy", "mean", "std", "worst"}]}</pre>
 *
 * Runs live in {@code OUT/runs/<strategy>-seed<N>}; a rerun skips finished runs (eval.json present, same config)
 * and resumes a partial one from its newest checkpoint through the trainer's resume.
 */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = {
            "Train every strategy x seed on one dataset (ETL cached), evaluate each on all validation rows,",
            "and write OUT/report.md and OUT/report.json (mean +- std over seeds, worst domain, steps to reach the",
            "reference's final loss). Rerun the same command to resume a half-finished comparison."
        })
public final class CompareCommand implements Callable<Integer> {
    @Mixin
    PikeOptions pikeOptions;

    @Mixin
    ModelOptions model;

    @Option(
            names = "--spec",
            paramLabel = "FILE",
            description = "Corpus spec to build the dataset from (default: corpus/genres.yaml).")
    Path spec;

    @Option(
            names = "--dataset",
            paramLabel = "DIR",
            description =
                    "Dataset directory: reused when it holds dataset.json, else built there (default: OUT/dataset).")
    Path dataset;

    @Option(
            names = "--tokenizer",
            defaultValue = "bpe:8192",
            description = "ETL tokenizer when the dataset is built (default ${DEFAULT-VALUE}, trained on the corpus).")
    String tokenizer;

    @Option(
            names = "--context",
            defaultValue = "128",
            description = "ETL context when the dataset is built (default ${DEFAULT-VALUE}).")
    int context;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the runs and the report go.")
    Path out;

    @Option(
            names = "--strategies",
            split = ModelOptions.STRATEGY_SPLIT,
            defaultValue = "mix,temperature,robust-pike",
            description =
                    "Strategies to compare; the reference for 'steps to' is mix when listed, else the first (default ${DEFAULT-VALUE}).")
    List<String> strategies;

    @Option(
            names = "--seeds",
            split = ",",
            defaultValue = "1,2,3",
            description = "Seeds, each run with every strategy (default ${DEFAULT-VALUE}).")
    List<Long> seeds;

    @Option(names = "--steps", defaultValue = "300", description = "Steps per run (default ${DEFAULT-VALUE}).")
    long steps;

    @Option(names = "--batch", defaultValue = "16", description = "Rows per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "2e-3", description = "Peak learning rate (default ${DEFAULT-VALUE}).")
    double lrPeak;

    @Option(
            names = "--checkpoint-every",
            defaultValue = "100",
            description = "Steps between checkpoints, the resume points (default ${DEFAULT-VALUE}).")
    long checkpointEvery;

    @Option(
            names = "--eval-every",
            defaultValue = "25",
            description = "Steps between validation losses, the curve 'steps to' reads (default ${DEFAULT-VALUE}).")
    long evalEvery;

    @Option(
            names = "--val-rows",
            defaultValue = "64",
            description = "Validation rows per domain of that curve (default ${DEFAULT-VALUE}).")
    int valRows;

    @Option(
            names = "--eval-rows",
            defaultValue = "0",
            description = "Validation rows per domain of the final evaluation (default: all).")
    int evalRows;

    @Option(
            names = "--log-every",
            defaultValue = "25",
            description = "Steps between the trainer's progress lines (default ${DEFAULT-VALUE}).")
    int logEvery;

    static final String REPORT_JSON = "report.json", REPORT_MD = "report.md";

    @Override
    public Integer call() throws IOException {
        TrainCommand.boundNativeMemory();
        ModelOptions.checkStrategies(strategies, seeds);
        Path data = dataset != null ? dataset : out.resolve("dataset");
        int status = ensureDataset(data);
        if (status != 0) return status;
        Corpus corpus = Corpus.open(data);
        var runs = new ArrayList<Run>();
        for (String s : strategies)
            for (long seed : seeds)
                runs.add(new Run(s, seed, out.resolve("runs").resolve(s + "-seed" + seed)));
        System.err.printf(
                Locale.ROOT,
                "compare: %d runs (%s x seeds %s), %d steps at batch %d, %s on %s%n",
                runs.size(),
                String.join(" ", strategies),
                seeds,
                steps,
                batch,
                model.describe(),
                data);
        long t0 = System.nanoTime();
        trainAll("compare", runs, r -> config(data, r), corpus, steps, evalRows, batch, ModelKind.ENGINE);
        Report report = Report.of(runs, strategies, corpus.names());
        String markdown = report.markdown(header(data));
        Files.writeString(out.resolve(REPORT_JSON), RunFiles.MAPPER.writeValueAsString(report.json()));
        Files.writeString(out.resolve(REPORT_MD), markdown);
        System.out.print(markdown);
        System.err.printf(
                Locale.ROOT,
                "compare: wrote %s and %s in %s%n",
                out.resolve(REPORT_MD),
                out.resolve(REPORT_JSON),
                duration((System.nanoTime() - t0) / 1e9));
        return 0;
    }

    /** One strategy × seed and its run directory. */
    record Run(String strategy, long seed, Path dir) {}

    /** Builds the dataset with the ETL unless {@code data} holds one; a cached one must match --context. */
    private int ensureDataset(Path data) {
        if (Files.exists(data.resolve(DatasetInfo.FILE_NAME))) {
            DatasetInfo info = DatasetInfo.read(data);
            Checks.require(
                    info.context() == context,
                    "%s was built with context %d, not --context %d; pass another --dataset",
                    data,
                    info.context(),
                    context);
            System.err.printf(
                    "compare: reusing dataset %s (tokenizer %s, context %d)%n",
                    data, info.tokenizer().spec(), info.context());
            return 0;
        }
        Path s = spec != null ? spec : Defaults.defaultSpec();
        System.err.println("compare: building dataset " + data + " from " + s);
        return Main.run(
                "etl",
                "--spec",
                s.toString(),
                "--out",
                data.toString(),
                "--tokenizer",
                tokenizer,
                "--context",
                String.valueOf(context));
    }

    /**
     * Trains every run in turn with progress on stderr ("WHO: run i of n", an ETA from the steps done so far): a
     * finished run with the same config is skipped, an interrupted one resumes from its newest checkpoint, anything
     * else in its directory is replaced. Each run is evaluated on {@code evalRows} validation rows per domain (0 = all)
     * when it finishes. The loop of {@code pike compare} and {@code pike demo}.
     */
    static void trainAll(
            String who,
            List<Run> runs,
            java.util.function.Function<Run, TrainConfig> configOf,
            Corpus corpus,
            long steps,
            int evalRows,
            int batch,
            ModelKind kind) {
        long t0 = System.nanoTime(), stepsDone = 0, stepsLeft = (long) runs.size() * steps;
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            String eta = stepsDone == 0
                    ? "ETA unknown"
                    : "ETA " + duration((System.nanoTime() - t0) / 1e9 / stepsDone * stepsLeft);
            stepsDone += trainOrResume(
                    who, r, configOf.apply(r), corpus, steps, evalRows, batch, kind, i + 1, runs.size(), eta);
            stepsLeft -= steps;
        }
    }

    /** One run of {@link #trainAll}; returns the steps trained here. */
    private static long trainOrResume(
            String who,
            Run r,
            TrainConfig config,
            Corpus corpus,
            long steps,
            int evalRows,
            int batch,
            ModelKind kind,
            int i,
            int n,
            String eta) {
        Path dir = r.dir();
        boolean sameConfig = Files.exists(dir.resolve(RunFiles.CONFIG))
                && Trainer.readConfig(dir).equals(config);
        if (sameConfig
                && Files.exists(dir.resolve(RunEvaluation.FILE))
                && RunEvaluation.read(dir).step() == steps) {
            System.err.printf(
                    "%s: run %d of %d: %s seed %d finished, skipped (%s)%n", who, i, n, r.strategy(), r.seed(), dir);
            return 0;
        }
        var checkpoint = sameConfig ? Checkpoint.latest(dir) : java.util.Optional.<Path>empty();
        long from = checkpoint.map(c -> Checkpoint.read(c).step()).orElse(0L);
        if (checkpoint.isEmpty()) {
            if (Files.exists(dir))
                System.err.printf("%s: %s holds an unfinished or different run; starting it again%n", who, dir);
            delete(dir);
        }
        System.err.printf(
                "%s: run %d of %d: %s seed %d, %s at step %d of %d -> %s | %s%n",
                who,
                i,
                n,
                r.strategy(),
                r.seed(),
                checkpoint.isPresent() ? "resuming" : "starting",
                from,
                steps,
                dir,
                eta);
        Trainer.run(config, corpus, dir, checkpoint.isPresent(), kind);
        RunEvaluation.evaluate(dir, evalRows, batch, kind);
        return steps - from;
    }

    TrainConfig config(Path data, Run r) {
        return model.config(
                data.toAbsolutePath().normalize().toString(),
                pikeOptions.strategySpec(r.strategy()),
                batch,
                r.seed(),
                steps,
                lrPeak,
                new TrainConfig.Pike(pikeOptions.zeta1, pikeOptions.zeta2, pikeOptions.tau, pikeOptions.minWeight),
                2,
                new TrainConfig.Cadence(checkpointEvery, evalEvery, valRows, logEvery));
    }

    private String header(Path data) {
        return String.format(
                Locale.ROOT,
                "dataset %s; %d steps at batch %d; %s; lr %s; "
                        + "seeds %s; PiKE T = %d, m = %d, zeta1 = %s, zeta2 = %s; robust-pike %s; %s",
                data,
                steps,
                batch,
                model.describe(),
                lrPeak,
                seeds,
                model.updateInterval,
                model.microBatches(2),
                pikeOptions.zeta1,
                pikeOptions.zeta2,
                pikeOptions.robust(),
                Instant.now());
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : String.format("%dm%02ds", s / 60, s % 60);
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir)) return;
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The comparison of finished runs. Per run: eval.json's per-domain losses, mean and worst, and the steps its
     * validation curve (val.jsonl) needed to reach the reference strategy's final curve mean for the same seed.
     * Per strategy: mean and sample standard deviation over seeds of the mean loss, and the worst domain of the
     * seed-averaged per-domain losses.
     */
    record Report(List<RunRow> runs, List<SummaryRow> summary, String reference, List<String> domains) {
        record RunRow(
                String strategy,
                long seed,
                double mean,
                double worst,
                double[] domains,
                Long stepsToReference,
                double cloze) {}

        record SummaryRow(
                String strategy,
                double mean,
                double std,
                double worst,
                double[] domainMean,
                double[] domainStd,
                double stepsToReference,
                int reached,
                double speedup,
                double cloze) {}

        static Report of(List<Run> runs, List<String> strategies, List<String> domains) {
            String reference = strategies.contains("mix") ? "mix" : strategies.get(0);
            var rows = new ArrayList<RunRow>();
            for (Run r : runs) {
                RunEvaluation.Report e = RunEvaluation.read(r.dir());
                Checks.require(
                        e.domains().equals(domains),
                        "%s covers domains %s, the dataset %s",
                        r.dir(),
                        e.domains(),
                        domains);
                Run ref = runs.stream()
                        .filter(x -> x.strategy().equals(reference) && x.seed() == r.seed())
                        .findFirst()
                        .orElseThrow();
                List<JsonNode> refCurve = RunFiles.read(ref.dir().resolve(RunFiles.VAL));
                Checks.require(!refCurve.isEmpty(), "%s has no validation curve; use --eval-every > 0", ref.dir());
                double target = refCurve.get(refCurve.size() - 1).get("mean").asDouble();
                rows.add(new RunRow(
                        r.strategy(),
                        r.seed(),
                        e.mean(),
                        e.worst(),
                        e.valLoss(),
                        stepsToReach(RunFiles.read(r.dir().resolve(RunFiles.VAL)), target),
                        e.clozeAccuracy()));
            }
            var summary = new ArrayList<SummaryRow>();
            for (String s : strategies) summary.add(summarise(s, rows, reference, domains.size()));
            return new Report(rows, summary, reference, domains);
        }

        /** First curve step whose mean is ≤ target ({@link Comparison#stepsToReach}, the rule of eval --compare), or null. */
        static Long stepsToReach(List<JsonNode> curve, double target) {
            long step = Comparison.stepsToReach(curve, target);
            return step < 0 ? null : step;
        }

        static SummaryRow summarise(String strategy, List<RunRow> rows, String reference, int K) {
            List<RunRow> mine =
                    rows.stream().filter(r -> r.strategy().equals(strategy)).toList();
            double[] means = mine.stream().mapToDouble(RunRow::mean).toArray();
            var domainMean = new double[K];
            var domainStd = new double[K];
            for (int k = 0; k < K; k++) {
                int kk = k;
                double[] v = mine.stream().mapToDouble(r -> r.domains()[kk]).toArray();
                domainMean[k] = mean(v);
                domainStd[k] = std(v);
            }
            double worst = java.util.Arrays.stream(domainMean).max().orElse(Double.NaN);
            // speed-up per seed: reference's steps / this strategy's steps, averaged over seeds where both reached
            double stepsSum = 0, speedSum = 0;
            int reached = 0, sped = 0;
            for (RunRow r : mine) {
                if (r.stepsToReference() == null) continue;
                reached++;
                stepsSum += r.stepsToReference();
                Long refSteps = rows.stream()
                        .filter(x -> x.strategy().equals(reference) && x.seed() == r.seed())
                        .findFirst()
                        .map(RunRow::stepsToReference)
                        .orElse(null);
                if (refSteps != null && r.stepsToReference() > 0) {
                    speedSum += (double) refSteps / r.stepsToReference();
                    sped++;
                }
            }
            return new SummaryRow(
                    strategy,
                    mean(means),
                    std(means),
                    worst,
                    domainMean,
                    domainStd,
                    reached == 0 ? Double.NaN : stepsSum / reached,
                    reached,
                    sped == 0 ? Double.NaN : speedSum / sped,
                    // the validation cloze accuracy (issue 14), averaged over the seeds that scored it
                    mine.stream()
                            .mapToDouble(RunRow::cloze)
                            .filter(c -> !Double.isNaN(c))
                            .average()
                            .orElse(Double.NaN));
        }

        static double mean(double[] v) {
            return java.util.Arrays.stream(v).average().orElse(Double.NaN);
        }

        /** Sample standard deviation (n − 1); 0 for one value. */
        static double std(double[] v) {
            if (v.length < 2) return 0;
            double m = mean(v), ss = 0;
            for (double x : v) ss += (x - m) * (x - m);
            return Math.sqrt(ss / (v.length - 1));
        }

        /** report.json, exactly the shape of issue 13. */
        Map<String, Object> json() {
            var runList = new ArrayList<Map<String, Object>>();
            for (RunRow r : runs) {
                var m = new LinkedHashMap<String, Object>();
                m.put("strategy", r.strategy());
                m.put("seed", r.seed());
                m.put("mean_val_loss", r.mean());
                m.put("worst_val_loss", r.worst());
                var d = new LinkedHashMap<String, Object>();
                for (int k = 0; k < domains.size(); k++) d.put(domains.get(k), r.domains()[k]);
                m.put("domains", d);
                m.put("steps_to_reference", r.stepsToReference());
                runList.add(m);
            }
            var sumList = new ArrayList<Map<String, Object>>();
            for (SummaryRow s : summary) {
                var m = new LinkedHashMap<String, Object>();
                m.put("strategy", s.strategy());
                m.put("mean", s.mean());
                m.put("std", s.std());
                m.put("worst", s.worst());
                sumList.add(m);
            }
            var root = new LinkedHashMap<String, Object>();
            root.put("runs", runList);
            root.put("summary", sumList);
            return root;
        }

        /** report.md: strategies as rows, domains, mean and worst as columns (mean ± std over seeds), then 'steps to'. */
        String markdown(String header) {
            int seeds = (int) runs.stream()
                    .filter(r -> r.strategy().equals(summary.get(0).strategy()))
                    .count();
            var sb = new StringBuilder("# pike compare\n\n").append(header).append("\n\n");
            sb.append(String.format(
                    Locale.ROOT,
                    "Final validation loss (nats, all validation rows; mean ± std over %d seed%s; "
                            + "worst = the highest seed-averaged domain). 'Steps to %s' = first step of the training-time validation curve "
                            + "(--val-rows rows per domain) at or below %s's final curve mean for the same seed; speed-up = %s's steps / "
                            + "these steps, averaged over seeds.%n%n",
                    seeds,
                    seeds == 1 ? "" : "s",
                    reference,
                    reference,
                    reference));
            sb.append("| strategy |");
            for (String d : domains) sb.append(' ').append(d).append(" |");
            sb.append(" mean | worst | cloze acc (chance 0.25) | steps to ")
                    .append(reference)
                    .append(" | speed-up |\n|---|");
            sb.append("---|".repeat(domains.size() + 5)).append('\n');
            for (SummaryRow s : summary) {
                sb.append("| ").append(s.strategy()).append(" |");
                for (int k = 0; k < domains.size(); k++)
                    sb.append(' ')
                            .append(pm(s.domainMean()[k], s.domainStd()[k]))
                            .append(" |");
                sb.append(' ')
                        .append(pm(s.mean(), s.std()))
                        .append(" | ")
                        .append(String.format(Locale.ROOT, "%.4f", s.worst()))
                        .append(" | ")
                        .append(Double.isNaN(s.cloze()) ? "–" : String.format(Locale.ROOT, "%.3f", s.cloze()))
                        .append(" | ")
                        .append(
                                s.reached() == 0
                                        ? "not reached"
                                        : String.format(
                                                Locale.ROOT,
                                                "%.0f (%d/%d seeds)",
                                                s.stepsToReference(),
                                                s.reached(),
                                                seeds))
                        .append(" | ")
                        .append(Double.isNaN(s.speedup()) ? "–" : String.format(Locale.ROOT, "%.2f×", s.speedup()))
                        .append(" |\n");
            }
            sb.append("\nRuns:\n\n| strategy | seed | mean | worst | steps to ")
                    .append(reference)
                    .append(" |\n|---|---|---|---|---|\n");
            for (RunRow r : runs)
                sb.append(String.format(
                        Locale.ROOT,
                        "| %s | %d | %.4f | %.4f | %s |%n",
                        r.strategy(),
                        r.seed(),
                        r.mean(),
                        r.worst(),
                        r.stepsToReference() == null
                                ? "not reached"
                                : r.stepsToReference().toString()));
            return sb.toString();
        }

        private static String pm(double mean, double std) {
            return String.format(Locale.ROOT, "%.4f ± %.4f", mean, std);
        }
    }
}
