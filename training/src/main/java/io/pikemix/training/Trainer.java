package io.pikemix.training;

import io.pikemix.format.Checks;
import io.pikemix.format.UserException;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.Rounding;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategies;
import io.pikemix.mixer.Strategy;
import io.pikemix.mixer.StrategyOptions;
import io.pikemix.mixer.WeightChange;
import io.pikemix.mixer.io.ManifestWriter;
import io.pikemix.mixer.io.WeightHistoryWriter;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains the GPT on the mixer's manifests (paper Algorithm 1 around an AdamW step) and writes the run
 * directory (see {@link RunFiles} and training/README.md). One {@link #run} per process; {@code resume}
 * continues from the newest checkpoint with the same manifests and optimiser state.
 */
public final class Trainer {
    private static final Logger log = LoggerFactory.getLogger(Trainer.class);

    /** What a finished run reports. */
    public record Summary(long steps, double lastLoss, double[] valLoss, double tokensPerSecond, long peakRssBytes,
                          double statsShare) {}

    private final TrainConfig config;
    private final Corpus corpus;
    private final Path run;
    private final LrSchedule schedule;
    private final Mixer mixer;
    private final GradientModel model;
    private final AdamW adam;
    private final long start;
    private final MixedBatch.HeldOut heldOut;

    private Trainer(TrainConfig config, Corpus corpus, Path run, boolean resume, ModelKind kind) {
        this.config = config;
        this.corpus = corpus;
        this.run = run;
        this.schedule = config.schedule();
        GptConfig gpt = config.model(corpus.vocabSize(), corpus.context());
        // robust-pike's held-out signal: the last rows of each domain never reach a manifest (MixedBatch.HeldOut)
        this.heldOut = MixedBatch.HeldOut.forStrategy(config.strategy(), corpus.trainRows());
        var mixConfig = new MixConfig(heldOut.trim(corpus.trainRows()), config.batch(), config.seed(), Rounding.CARRY, config.updateInterval());
        Strategy strategy = strategy(config, corpus);
        if (resume) {
            Path dir = Checkpoint.latest(run).orElseThrow(() -> new UserException(run + " has no checkpoint to resume from"));
            Checkpoint c = Checkpoint.read(dir);
            model = kind.load(gpt, c.params());
            adam = AdamW.forModel(config.adam(), gpt, c.adam(), c.adamIteration());
            mixer = new Mixer(mixConfig, strategy, c.mixer());
            start = c.step();
            RunRecords.truncateAfter(run, start);
            log.info("resuming {} from step {} ({})", run, start, dir.getFileName());
        } else {
            model = kind.initialize(gpt, config.seed());
            adam = AdamW.forModel(config.adam(), gpt, null, 0);
            mixer = new Mixer(mixConfig, strategy);
            start = 0;
        }
        log.info("model: {} on {}", kind, Backend.describe());
    }

    /** Trains {@code config.steps()} steps (from the newest checkpoint when resuming) into {@code run} on the engine. */
    public static Summary run(TrainConfig config, Corpus corpus, Path run, boolean resume) {
        return run(config, corpus, run, resume, ModelKind.ENGINE);
    }

    /** As {@link #run(TrainConfig, Corpus, Path, boolean)}, on the given model implementation. */
    public static Summary run(TrainConfig config, Corpus corpus, Path run, boolean resume, ModelKind kind) {
        try {
            Files.createDirectories(run);
            if (!resume) {
                Checks.require(!Files.exists(run.resolve(RunFiles.CONFIG)),
                        "%s already holds a run; pass --resume %s to continue it, or choose another --out", run, run);
                Files.writeString(run.resolve(RunFiles.CONFIG), RunFiles.MAPPER.writeValueAsString(RunRecords.provenance(config, corpus)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var trainer = new Trainer(config, corpus, run, resume, kind);
        try {
            return trainer.loop();
        } finally {
            trainer.model.close();
        }
    }

    private Summary loop() {
        int K = corpus.names().size(), T = corpus.context();
        long tokensPerStep = (long) config.batch() * T;
        double[] val = null;
        double lastLoss = Double.NaN;
        long timedNanos = 0, timedSteps = 0, statsNanos = 0, statsSteps = 0;
        try (var metrics = new RunFiles.Lines(run.resolve(RunFiles.METRICS));
             var valLines = new RunFiles.Lines(run.resolve(RunFiles.VAL));
             var statsLines = new RunFiles.Lines(run.resolve(RunFiles.STATS));
             var weights = new WeightHistoryWriter(run.resolve(RunFiles.WEIGHTS));
             var manifests = new ManifestWriter(run.resolve(RunFiles.MANIFEST))) {
            if (start == 0) {
                weights.write(mixer.initialChange());
                if (config.evalEvery() > 0) val = RunRecords.validate(model, corpus, config, valLines, 0, log);
            }
            for (long step = start; step < config.steps(); step++) {
                long t0 = System.nanoTime();
                double lr = schedule.at(step);
                StepManifest manifest = mixer.next();
                boolean stats = mixer.wantsStatistics(step);
                MixedBatch.Result r = MixedBatch.compute(model, corpus.train(), manifest, stats,
                        config.statsMicroBatches(), config.fused(), config.seed(), heldOut);
                Checks.require(Double.isFinite(r.loss()), "loss became %s at step %d; lower --lr", r.loss(), step);
                double gradNorm = adam.step(model.parameters(), r.gradient(), lr);
                for (INDArray g : r.gradient().values()) GptModel.close(g);
                if (stats) {
                    WeightChange change = mixer.report(step, List.of(r.stats()));
                    weights.write(change);
                    statsLines.write(RunRecords.stats(step, corpus.names(), r.stats()));
                }
                long nanos = System.nanoTime() - t0;
                if (step - start >= 10) { timedNanos += nanos; timedSteps++; }
                if (stats) { statsNanos += r.statsNanos(); statsSteps++; }
                lastLoss = r.loss();
                metrics.write(metricsRecord(manifest, r, lr, gradNorm, nanos, tokensPerStep));
                manifests.write(manifest);
                manifests.flush();
                long done = step + 1;
                if (step % config.logEvery() == 0 || done == config.steps())
                    log.info(progress(step, r, lr, manifest.weights(), nanos, tokensPerStep, timedNanos, timedSteps));
                if (config.evalEvery() > 0 && (done % config.evalEvery() == 0 || done == config.steps()))
                    val = RunRecords.validate(model, corpus, config, valLines, done, log);
                if (done % config.checkpointEvery() == 0 || done == config.steps())
                    new Checkpoint(done, model.parameters(), adam.state(), adam.iteration(), mixer.state()).write(run, 2);
            }
        }
        double tps = timedSteps == 0 ? Double.NaN : tokensPerStep * timedSteps / (timedNanos / 1e9);
        double statsShare = timedNanos == 0 ? 0 : (double) statsNanos / timedNanos * timedSteps / Math.max(1, config.steps() - start);
        return new Summary(config.steps(), lastLoss, val, tps, Memory.peakRssBytes(), statsShare);
    }

    private Map<String, Object> metricsRecord(StepManifest m, MixedBatch.Result r, double lr, double gradNorm, long nanos, long tokens) {
        var rec = new LinkedHashMap<String, Object>();
        rec.put("step", m.step());
        rec.put("loss", r.loss());
        rec.put("domain_loss", RunRecords.nullIfNaN(r.domainLoss()));
        rec.put("counts", m.counts());
        rec.put("weights", m.weights());
        rec.put("lr", lr);
        rec.put("grad_norm", gradNorm);
        rec.put("ms", nanos / 1e6);
        rec.put("tokens_per_s", tokens / (nanos / 1e9));
        rec.put("stats", r.stats() != null);
        rec.put("stats_ms", r.statsNanos() / 1e6);
        rec.put("graph_calls", r.graphCalls());
        rec.put("rss_mb", Memory.rssBytes() >> 20);
        return rec;
    }

    private String progress(long step, MixedBatch.Result r, double lr, double[] w, long nanos, long tokens,
                            long timedNanos, long timedSteps) {
        var sb = new StringBuilder(String.format("step %d/%d | loss %.4f | lr %.2e | w", step, config.steps(), r.loss(), lr));
        for (int k = 0; k < w.length; k++) sb.append(' ').append(corpus.names().get(k)).append(String.format(" %.2f", w[k]));
        double perStep = timedSteps > 0 ? timedNanos / 1e9 / timedSteps : nanos / 1e9;
        long eta = Math.round(perStep * (config.steps() - step - 1));
        sb.append(String.format(" | %.0f tok/s | %d ms | ETA %dm%02ds", tokens / (nanos / 1e9), nanos / 1_000_000, eta / 60, eta % 60));
        if (r.stats() != null) sb.append(String.format(" | stats %d ms", r.statsNanos() / 1_000_000));
        return sb.toString();
    }

    /** The mixing strategy a run's configuration names, over the corpus's domains ({@link Strategies#forDataset}). */
    public static Strategy strategy(TrainConfig c, Corpus corpus) {
        double[] prior = c.strategy().equals("static") ? corpus.prior() : null;
        Checks.require(!c.strategy().equals("static") || prior != null, "strategy 'static' needs priors in the corpus spec");
        var options = StrategyOptions.defaults(c.strategy()).withPrior(prior).withPike(c.zeta1(), c.zeta2(), c.tau(), c.minWeight());
        return Strategies.forDataset(corpus.names().size(), corpus.tokens(), c.batch(), c.seed(), options);
    }

    /** The run's configuration as written at its start (for --resume and eval). */
    public static TrainConfig readConfig(Path run) {
        Path file = run.resolve(RunFiles.CONFIG);
        Checks.require(Files.exists(file), "%s is not a run directory: no %s", run, RunFiles.CONFIG);
        try {
            return RunFiles.MAPPER.treeToValue(RunFiles.MAPPER.readTree(file.toFile()).get("train"), TrainConfig.class);
        } catch (IOException e) {
            throw new UserException(file + " is unreadable: " + e.getMessage(), e);
        }
    }
}
