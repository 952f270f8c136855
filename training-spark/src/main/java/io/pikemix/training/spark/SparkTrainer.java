package io.pikemix.training.spark;

import io.pikemix.format.Checks;
import io.pikemix.format.UserException;
import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.Rounding;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.WeightChange;
import io.pikemix.mixer.io.ManifestWriter;
import io.pikemix.mixer.io.WeightHistoryWriter;
import io.pikemix.training.AdamW;
import io.pikemix.training.Checkpoint;
import io.pikemix.training.Corpus;
import io.pikemix.training.GptConfig;
import io.pikemix.training.GptModel;
import io.pikemix.training.LrSchedule;
import io.pikemix.training.Memory;
import io.pikemix.training.RunFiles;
import io.pikemix.training.RunRecords;
import io.pikemix.training.TrainConfig;
import io.pikemix.training.Trainer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Data-parallel training on Spark's own primitives (deploy/README.md, "Distributed training"): the driver holds the mixer,
 * the model and AdamW; every round of A steps it broadcasts the parameters (and, for A &gt; 1, AdamW's moments),
 * runs one task per worker ({@code parallelize(0..n−1, n).map}), each on its share of every global manifest
 * of the round ({@link Worker}), and sums the workers' weighted tensors with {@code treeAggregate}.
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
 * micro-batches per domain); the driver pools them ({@link GradientStats#pool}: pooled means and variances,
 * not averaged norms) and reports to the mixer at the averaging point, so the new weights compose the manifests
 * of the next round. Writes the single-process run directory plus {@code workers.jsonl}.
 */
public final class SparkTrainer {
    private static final Logger log = LoggerFactory.getLogger(SparkTrainer.class);
    public static final String WORKERS = "workers.jsonl";

    /** @param workers n tasks per round; @param averageEvery A steps between averaging points */
    public record Options(int workers, int averageEvery) {
        public Options {
            Checks.require(workers >= 1, "--workers must be >= 1, got %d", workers);
            Checks.require(averageEvery >= 1, "--average-every must be >= 1, got %d", averageEvery);
        }
    }

    private final JavaSparkContext sc;
    private final TrainConfig config;
    private final Options options;
    private final Corpus corpus;
    private final Path run;
    private final Worker worker;
    private final LrSchedule schedule;
    private final Mixer mixer;
    private final io.pikemix.training.GradientModel model;
    private AdamW adam;
    private final long start;

    private SparkTrainer(JavaSparkContext sc, TrainConfig config, Options options, CorpusSource source, Corpus corpus,
                         Path run, boolean resume) {
        this.sc = sc;
        this.config = config;
        this.options = options;
        this.corpus = corpus;
        this.run = run;
        this.schedule = config.schedule();
        GptConfig gpt = config.model(corpus.vocabSize(), corpus.context());
        var adamHyper = config.adam();
        this.worker = new Worker(source, gpt.vocabSize(), gpt.context(), gpt.nLayer(), gpt.nHead(), gpt.dModel(), gpt.lnEpsilon(),
                adamHyper.beta1(), adamHyper.beta2(), adamHyper.epsilon(), adamHyper.weightDecay(), adamHyper.clipNorm(),
                options.workers(), config.statsMicroBatches(), config.fused(), config.seed());
        var mixConfig = new MixConfig(corpus.trainRows(), config.batch(), config.seed(), Rounding.CARRY, config.updateInterval());
        var strategy = Trainer.strategy(config, corpus);
        if (resume) {
            Path dir = Checkpoint.latest(run).orElseThrow(() -> new UserException(run + " has no checkpoint to resume from"));
            Checkpoint c = Checkpoint.read(dir);
            model = io.pikemix.training.ModelKind.ENGINE.load(gpt, c.params());
            adam = AdamW.forModel(adamHyper, gpt, c.adam(), c.adamIteration());
            mixer = new Mixer(mixConfig, strategy, c.mixer());
            start = c.step();
            RunRecords.truncateAfter(run, start, WORKERS);
            log.info("resuming {} from step {} ({})", run, start, dir.getFileName());
        } else {
            model = io.pikemix.training.ModelKind.ENGINE.initialize(gpt, config.seed());
            adam = AdamW.forModel(adamHyper, gpt, null, 0);
            mixer = new Mixer(mixConfig, strategy);
            start = 0;
        }
    }

    /** Trains {@code config.steps()} steps on the cluster behind {@code sc} into {@code run} (or continues it). */
    public static Trainer.Summary run(JavaSparkContext sc, TrainConfig config, Options options, CorpusSource source,
                                      Path run, boolean resume) {
        Corpus corpus = source.open();
        try {
            Files.createDirectories(run);
            if (!resume) {
                Checks.require(!Files.exists(run.resolve(RunFiles.CONFIG)),
                        "%s already holds a run; pass --resume %s to continue it, or choose another --out", run, run);
                Files.writeString(run.resolve(RunFiles.CONFIG), RunFiles.MAPPER.writeValueAsString(provenance(sc, config, options, corpus)));
            } else {
                Options saved = readOptions(run);
                Checks.require(saved == null || saved.equals(options),
                        "%s was trained with --workers %d --average-every %d; resume it with the same", run,
                        saved == null ? 0 : saved.workers(), saved == null ? 0 : saved.averageEvery());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var trainer = new SparkTrainer(sc, config, options, source, corpus, run, resume);
        try {
            return trainer.loop();
        } finally {
            trainer.model.close();
        }
    }

    private Trainer.Summary loop() {
        int n = options.workers(), A = options.averageEvery(), K = corpus.names().size();
        long tokensPerStep = (long) config.batch() * corpus.context();
        double[] val = null;
        double lastLoss = Double.NaN;
        long timedNanos = 0, timedSteps = 0, statsNanos = 0;
        try (var metrics = new RunFiles.Lines(run.resolve(RunFiles.METRICS));
             var valLines = new RunFiles.Lines(run.resolve(RunFiles.VAL));
             var statsLines = new RunFiles.Lines(run.resolve(RunFiles.STATS));
             var workerLines = new RunFiles.Lines(run.resolve(WORKERS));
             var weights = new WeightHistoryWriter(run.resolve(RunFiles.WEIGHTS));
             var manifests = new ManifestWriter(run.resolve(RunFiles.MANIFEST))) {
            if (start == 0) {
                weights.write(mixer.initialChange());
                if (config.evalEvery() > 0) val = RunRecords.validate(model, corpus, config, valLines, 0, log);
            }
            long step = start;
            while (step < config.steps()) {
                long t0 = System.nanoTime();
                int length = (int) Math.min(A - step % A, config.steps() - step);   // rounds end at multiples of A
                var planned = new ArrayList<Round.Step>();
                for (int i = 0; i < length; i++)
                    planned.add(new Round.Step(mixer.next(), schedule.at(step + i), mixer.wantsStatistics(step + i)));
                long roundIndex = step / A;
                var round = new Round(roundIndex, Tensors.of(model.parameters()),
                        A > 1 ? Tensors.of(adam.state()) : null, adam.iteration(), planned);
                Broadcast<Round> shared = sc.broadcast(round);
                Worker w = worker;
                RoundSum sum;
                try {
                    sum = sc.parallelize(Worker.indices(n), n)
                            .map(i -> w.run(shared.value(), i))
                            .treeAggregate(new RoundSum(), RoundSum::add, RoundSum::merge, 2);
                } finally {
                    shared.destroy();
                }
                List<WorkerReport> reports = sum.sortedReports();
                state(reports.size() == n, "round %d: %d of %d workers reported", roundIndex, reports.size(), n);
                double gradNorm = Double.NaN;
                if (A == 1) {
                    Map<String, INDArray> g = sum.sum.toArrays();
                    gradNorm = adam.step(model.parameters(), g, planned.get(0).lr());
                    for (INDArray a : g.values()) a.close();
                } else {
                    sum.sum.assignTo(model.parameters());
                    sum.adamSum.assignTo(adam.state());
                    adam = AdamW.forModel(adam.hyper(), model.config(), adam.state(), adam.iteration() + length);
                }
                long nanos = System.nanoTime() - t0;
                for (int i = 0; i < length; i++) {
                    Round.Step s = planned.get(i);
                    double loss = 0;
                    var domainSum = new double[K];
                    var domainRows = new int[K];
                    var perWorkerStats = new ArrayList<GradientStats>();
                    for (WorkerReport r : reports) {
                        if (r.rows()[i] == 0) continue;
                        loss += r.loss()[i] * r.rows()[i] / s.rows();
                        int[] counts = r.counts()[i];
                        for (int k = 0; k < K; k++) if (counts[k] > 0) { domainSum[k] += r.domainLoss()[i][k] * counts[k]; domainRows[k] += counts[k]; }
                        if (r.stats().get(i) != null) perWorkerStats.add(r.stats().get(i));
                    }
                    var domainLoss = new double[K];
                    for (int k = 0; k < K; k++) domainLoss[k] = domainRows[k] == 0 ? Double.NaN : domainSum[k] / domainRows[k];
                    if (s.stats()) {
                        state(!perWorkerStats.isEmpty(), "step %d: no worker reported statistics", s.step());
                        GradientStats pooled = GradientStats.pool(perWorkerStats);
                        WeightChange change = mixer.report(s.step(), perWorkerStats);
                        weights.write(change);
                        statsLines.write(statsRecord(s.step(), pooled, perWorkerStats.size()));
                    }
                    double stepGradNorm = A == 1 ? gradNorm : meanGradNorm(reports, i);
                    lastLoss = loss;
                    metrics.write(metricsRecord(s.manifest(), loss, domainLoss, s.lr(), stepGradNorm, nanos / length,
                            tokensPerStep, s.stats()));
                    manifests.write(s.manifest());
                }
                manifests.flush();
                for (WorkerReport r : reports) {
                    statsNanos += r.statsNanos();
                    workerLines.write(workerRecord(r));
                }
                if (step - start >= Math.max(A, 2)) { timedNanos += nanos; timedSteps += length; }
                long done = step + length;
                state(Double.isFinite(lastLoss), "loss became %s at step %d; lower --lr", lastLoss, done - 1);
                if (crosses(step, done, config.logEvery()) || done == config.steps())
                    log.info(progress(done - 1, lastLoss, planned.get(length - 1).lr(), planned.get(length - 1).manifest().weights(), nanos, length,
                            tokensPerStep, timedNanos, timedSteps, reports));
                if (config.evalEvery() > 0 && (crosses(step, done, config.evalEvery()) || done == config.steps()))
                    val = RunRecords.validate(model, corpus, config, valLines, done, log);
                if (crosses(step, done, config.checkpointEvery()) || done == config.steps())
                    new Checkpoint(done, model.parameters(), adam.state(), adam.iteration(), mixer.state()).write(run, 2);
                step = done;
            }
        }
        double tps = timedSteps == 0 ? Double.NaN : tokensPerStep * timedSteps / (timedNanos / 1e9);
        double share = timedNanos == 0 ? 0 : Math.min(1, (double) statsNanos / n / timedNanos);
        return new Trainer.Summary(config.steps(), lastLoss, val, tps, Memory.peakRssBytes(), share);
    }

    private static void state(boolean ok, String message, Object... args) {
        if (!ok) throw new IllegalStateException(String.format(message, args));
    }

    /** True when a multiple of {@code every} lies in (from, to]. */
    static boolean crosses(long from, long to, long every) {
        return to / every > from / every;
    }

    private static double meanGradNorm(List<WorkerReport> reports, int i) {
        double s = 0;
        int c = 0;
        for (WorkerReport r : reports) if (!Double.isNaN(r.gradNorm()[i])) { s += r.gradNorm()[i]; c++; }
        return c == 0 ? Double.NaN : s / c;
    }

    private Map<String, Object> metricsRecord(StepManifest m, double loss, double[] domainLoss, double lr, double gradNorm,
                                              long nanos, long tokens, boolean stats) {
        var rec = new LinkedHashMap<String, Object>();
        rec.put("step", m.step());
        rec.put("loss", loss);
        rec.put("domain_loss", RunRecords.nullIfNaN(domainLoss));
        rec.put("counts", m.counts());
        rec.put("weights", m.weights());
        rec.put("lr", lr);
        rec.put("grad_norm", Double.isNaN(gradNorm) ? null : gradNorm);
        rec.put("ms", nanos / 1e6);
        rec.put("tokens_per_s", tokens / (nanos / 1e9));
        rec.put("stats", stats);
        rec.put("workers", options.workers());
        rec.put("average_every", options.averageEvery());
        rec.put("rss_mb", Memory.rssBytes() >> 20);
        return rec;
    }

    private Map<String, Object> statsRecord(long step, GradientStats s, int workers) {
        Map<String, Object> rec = RunRecords.stats(step, corpus.names(), s);
        rec.put("pooled_from_workers", workers);
        return rec;
    }

    private Map<String, Object> workerRecord(WorkerReport r) {
        var rec = new LinkedHashMap<String, Object>();
        rec.put("step", r.steps()[0]);          // the round's first step
        rec.put("round", r.round());
        rec.put("worker", r.worker());
        rec.put("attempt", r.attempt());
        rec.put("executor", r.executor());
        rec.put("host", r.host());
        rec.put("pid", r.pid());
        rec.put("steps", r.steps());
        rec.put("rows", r.rows());
        rec.put("loss", RunRecords.nullIfNaN(r.loss()));
        rec.put("grad_norm", RunRecords.nullIfNaN(r.gradNorm()));
        var stats = new ArrayList<Map<String, Object>>();
        for (int i = 0; i < r.steps().length; i++)
            if (r.stats().get(i) != null) stats.add(RunRecords.stats(r.steps()[i], corpus.names(), r.stats().get(i)));
        rec.put("stats", stats);
        rec.put("ms", r.nanos() / 1e6);
        rec.put("stats_ms", r.statsNanos() / 1e6);
        rec.put("rss_mb", r.rssBytes() >> 20);
        return rec;
    }

    private String progress(long step, double loss, double lr, double[] w, long nanos, int length, long tokens,
                            long timedNanos, long timedSteps, List<WorkerReport> reports) {
        var sb = new StringBuilder(String.format("step %d/%d | loss %.4f | lr %.2e | w", step, config.steps(), loss, lr));
        for (int k = 0; k < w.length; k++) sb.append(' ').append(corpus.names().get(k)).append(String.format(" %.2f", w[k]));
        double perStep = timedSteps > 0 ? timedNanos / 1e9 / timedSteps : nanos / 1e9 / length;
        long eta = Math.round(perStep * (config.steps() - step - 1));
        sb.append(String.format(" | %.0f tok/s | %d workers", tokens * length / (nanos / 1e9), reports.size()));
        sb.append(String.format(" | ETA %dm%02ds", eta / 60, eta % 60));
        return sb.toString();
    }

    private static Map<String, Object> provenance(JavaSparkContext sc, TrainConfig config, Options options, Corpus corpus) {
        Map<String, Object> rec = RunRecords.provenance(config, corpus);
        var dist = new LinkedHashMap<String, Object>();
        dist.put("workers", options.workers());
        dist.put("average_every", options.averageEvery());
        dist.put("master", sc.master());
        dist.put("app_id", sc.sc().applicationId());
        rec.put("distributed", dist);
        rec.put("spark", sc.version());
        return rec;
    }

    /** The --workers/--average-every a run was started with, or null for a single-process run. */
    public static Options readOptions(Path run) {
        try {
            var node = RunFiles.MAPPER.readTree(run.resolve(RunFiles.CONFIG).toFile()).get("distributed");
            return node == null ? null : new Options(node.get("workers").asInt(), node.get("average_every").asInt());
        } catch (IOException e) {
            throw new UserException(run.resolve(RunFiles.CONFIG) + " is unreadable: " + e.getMessage(), e);
        }
    }
}
