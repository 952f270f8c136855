package io.pikemix.training;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.Checks;
import io.pikemix.format.UserException;
import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.Rounding;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategies;
import io.pikemix.mixer.Strategy;
import io.pikemix.mixer.io.ManifestWriter;
import io.pikemix.mixer.io.WeightHistoryWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop (paper Algorithm 1 around an AdamW step), one for every engine: the mixer's manifests → the
 * {@link StepEngine} (this process, or Spark's workers) → the statistics back to the mixer → the run directory's
 * records ({@link RunFiles}, training/README.md) → checkpoints. One {@link #run} per process; {@code resume}
 * continues from the newest checkpoint with the same manifests and optimiser state.
 */
public final class Trainer {
    private static final Logger log = LoggerFactory.getLogger(Trainer.class);

    /** What a finished run reports. */
    public record Summary(
            long steps,
            double lastLoss,
            double[] valLoss,
            double tokensPerSecond,
            long peakRssBytes,
            double statsShare) {}

    /** Steps after the start (or the resume) left out of the tokens/s: JIT and allocation warm-up. */
    private static final int UNTIMED_STEPS = 10;

    private final TrainConfig config;
    private final Corpus corpus;
    private final Path run;
    private final StepEngine engine;
    private final LrSchedule schedule;
    private final Mixer mixer;
    private final GradientModel model;
    private AdamW adam;
    private final long start;

    private Trainer(
            TrainConfig config,
            Corpus corpus,
            Path run,
            boolean resume,
            ModelKind kind,
            StepEngine engine,
            MixedBatch.HeldOut heldOut) {
        this.config = config;
        this.corpus = corpus;
        this.run = run;
        this.engine = engine;
        this.schedule = config.schedule();
        GptConfig gpt = config.model(corpus.vocabSize(), corpus.context());
        // robust-pike's held-out signal: the last rows of each domain never reach a manifest (MixedBatch.HeldOut)
        var mixConfig = new MixConfig(
                heldOut.trim(corpus.trainRows()),
                config.batch(),
                config.seed(),
                Rounding.CARRY,
                config.statistics().updateInterval());
        Strategy strategy = strategy(config, corpus);
        if (resume) {
            Path dir = Checkpoint.latest(run)
                    .orElseThrow(() -> new UserException(run + " has no checkpoint to resume from"));
            RunRecords.requireSameTokenizer(run, corpus);
            Checkpoint c = Checkpoint.read(dir);
            c.requireShapes(dir, gpt);
            model = kind.load(gpt, c.params());
            adam = AdamW.forModel(config.adam(), gpt, c.adam(), c.adamIteration());
            mixer = new Mixer(mixConfig, strategy, c.mixer());
            start = c.step();
            RunRecords.truncateAfter(
                    run, start, engine.recordsFile() == null ? new String[0] : new String[] {engine.recordsFile()});
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

    /** As {@link #run(TrainConfig, Corpus, Path, boolean)}, in this process on the given model implementation. */
    public static Summary run(TrainConfig config, Corpus corpus, Path run, boolean resume, ModelKind kind) {
        // computed once: the local engine draws its held-out micro-batches from the slice the mixer never sees
        var heldOut = MixedBatch.HeldOut.forStrategy(config.strategy(), corpus.trainRows());
        return run(
                config,
                corpus,
                run,
                resume,
                kind,
                new LocalEngine(
                        corpus.train(),
                        config.statistics(),
                        config.seed(),
                        heldOut,
                        io.pikemix.mixer.RobustPikeParams.adamMetric(config.strategy())),
                heldOut);
    }

    /** As {@link #run(TrainConfig, Corpus, Path, boolean)}, its steps computed by {@code engine}. */
    public static Summary run(
            TrainConfig config, Corpus corpus, Path run, boolean resume, ModelKind kind, StepEngine engine) {
        if (!(engine instanceof LocalEngine) && io.pikemix.mixer.RobustPikeParams.adamMetric(config.strategy()))
            log.warn(
                    "{}: metric=adam is computed by the single-process trainer only; this engine's statistics"
                            + " are in the Euclidean metric",
                    config.strategy());
        return run(
                config,
                corpus,
                run,
                resume,
                kind,
                engine,
                MixedBatch.HeldOut.forStrategy(config.strategy(), corpus.trainRows()));
    }

    private static Summary run(
            TrainConfig config,
            Corpus corpus,
            Path run,
            boolean resume,
            ModelKind kind,
            StepEngine engine,
            MixedBatch.HeldOut heldOut) {
        // before anything is written: a configuration that cannot fit leaves no run directory behind
        Memory.requireFits(config.model(corpus.vocabSize(), corpus.context()), config.batch(), Memory.budgetBytes());
        try {
            Files.createDirectories(run);
            if (!resume) {
                Checks.require(
                        !Files.exists(run.resolve(RunFiles.CONFIG)),
                        "%s already holds a run; pass --resume %s to continue it, or choose another --out",
                        run,
                        run);
                Map<String, Object> provenance = RunRecords.provenance(config, corpus);
                provenance.putAll(engine.provenance());
                Files.writeString(run.resolve(RunFiles.CONFIG), RunFiles.MAPPER.writeValueAsString(provenance));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var trainer = new Trainer(config, corpus, run, resume, kind, engine, heldOut);
        try {
            return trainer.loop();
        } finally {
            trainer.model.close();
        }
    }

    private Summary loop() {
        long steps = config.steps(), tokensPerStep = (long) config.batch() * corpus.context();
        TrainConfig.Cadence cadence = config.cadence();
        double[] val = null;
        double lastLoss = Double.NaN;
        long timedNanos = 0, timedSteps = 0, statsNanos = 0;
        int bad = 0;
        String own = engine.recordsFile();
        try (var metrics = new RunFiles.Lines(run.resolve(RunFiles.METRICS));
                var valLines = new RunFiles.Lines(run.resolve(RunFiles.VAL));
                var statsLines = new RunFiles.Lines(run.resolve(RunFiles.STATS));
                var ownLines = own == null ? null : new RunFiles.Lines(run.resolve(own));
                var weights = new WeightHistoryWriter(run.resolve(RunFiles.WEIGHTS));
                var manifests = new ManifestWriter(run.resolve(RunFiles.MANIFEST))) {
            if (start == 0) {
                weights.write(mixer.initialChange());
                if (cadence.evalEvery() > 0) val = RunRecords.validate(model, corpus, config, valLines, 0, log);
            }
            long step = start;
            while (step < steps) {
                long t0 = System.nanoTime();
                int length = engine.roundLength(step, steps);
                var planned = new ArrayList<StepEngine.Planned>();
                for (int i = 0; i < length; i++)
                    planned.add(new StepEngine.Planned(
                            mixer.next(), schedule.at(step + i), mixer.wantsStatistics(step + i)));
                StepEngine.Result round = engine.run(model, adam, planned);
                adam = round.adam();
                long nanos = System.nanoTime() - t0;
                for (int i = 0; i < length; i++) {
                    StepEngine.Planned p = planned.get(i);
                    StepEngine.Outcome o = round.steps().get(i);
                    // a NaN norm means "none" only for a round of averaged steps (StepEngine.Outcome)
                    if (!Double.isFinite(o.loss())
                            || Double.isInfinite(o.gradNorm())
                            || (Double.isNaN(o.gradNorm()) && length == 1)) {
                        reject(p, o, ++bad, length, metrics, manifests);
                        continue;
                    }
                    if (p.stats()) {
                        weights.write(mixer.report(p.step(), o.stats()));
                        statsLines.write(statsRecord(p.step(), o.stats()));
                    }
                    lastLoss = o.loss();
                    metrics.write(metricsRecord(p, o, nanos / length, tokensPerStep));
                    manifests.write(p.manifest());
                }
                manifests.flush();
                if (ownLines != null) for (Map<String, Object> r : round.records()) ownLines.write(r);
                if (step - start >= UNTIMED_STEPS) {
                    timedNanos += nanos;
                    timedSteps += length;
                }
                statsNanos += round.statsNanos();
                long done = step + length;
                if (crosses(step - 1, done - 1, cadence.logEvery()) || done == steps)
                    log.info(progress(
                            planned.get(length - 1),
                            lastLoss,
                            nanos,
                            length,
                            tokensPerStep,
                            timedNanos,
                            timedSteps,
                            round));
                if (cadence.evalEvery() > 0 && (crosses(step, done, cadence.evalEvery()) || done == steps))
                    val = RunRecords.validate(model, corpus, config, valLines, done, log);
                if (crosses(step, done, cadence.checkpointEvery()) || done == steps)
                    new Checkpoint(done, model.parameters(), adam.state(), adam.iteration(), mixer.state())
                            .write(run, 2);
                step = done;
            }
        }
        double tps = timedSteps == 0 ? Double.NaN : tokensPerStep * timedSteps / (timedNanos / 1e9);
        double statsShare =
                timedNanos == 0 ? 0 : (double) statsNanos / timedNanos * timedSteps / Math.max(1, steps - start);
        return new Summary(steps, lastLoss, val, tps, Memory.peakRssBytes(), statsShare);
    }

    /**
     * A step with a non-finite loss or gradient: the engine made no update (AdamW and LocalEngine skip it), so the
     * parameters and moments are those of the step before. It is logged (a warning and a metrics line with
     * "rejected": true), its statistics are forgone, and the run goes on until more than --max-bad-steps steps were
     * rejected; then it stops with a user error, the newest checkpoint intact. A round of several steps (Spark,
     * --average-every A &gt; 1) has already averaged its parameters, so there a bad step always stops the run.
     */
    private void reject(
            StepEngine.Planned p,
            StepEngine.Outcome o,
            int bad,
            int length,
            RunFiles.Lines metrics,
            ManifestWriter manifests) {
        int allowed = config.cadence().maxBadSteps();
        log.warn(
                "step {}: loss {}, gradient norm {}: step rejected, no update ({} of at most {} bad steps)",
                p.step(),
                o.loss(),
                o.gradNorm(),
                bad,
                allowed);
        if (bad > allowed || length > 1)
            throw new UserException(String.format(
                    "step %d: loss %s, gradient norm %s: rejected, and %d bad steps exceed --max-bad-steps %d%s;"
                            + " the newest checkpoint is intact (lower --lr, or raise --max-bad-steps)",
                    p.step(),
                    o.loss(),
                    o.gradNorm(),
                    bad,
                    allowed,
                    length > 1 ? " (a round of " + length + " averaged steps cannot be rolled back)" : ""));
        if (mixer.awaiting() == p.step()) mixer.forgo(p.step());
        var rec = new LinkedHashMap<String, Object>();
        rec.put("step", p.step());
        rec.put("loss", null);
        rec.put("rejected", true);
        rec.put("rejected_loss", String.valueOf(o.loss()));
        rec.put("rejected_grad_norm", String.valueOf(o.gradNorm()));
        rec.put("counts", p.manifest().counts());
        rec.put("weights", p.manifest().weights());
        rec.put("lr", p.lr());
        metrics.write(rec);
        manifests.write(p.manifest());
    }

    /** True when a multiple of {@code every} lies in (from, to]. */
    static boolean crosses(long from, long to, long every) {
        return Math.floorDiv(to, every) > Math.floorDiv(from, every);
    }

    private Map<String, Object> metricsRecord(StepEngine.Planned p, StepEngine.Outcome o, long nanos, long tokens) {
        StepManifest m = p.manifest();
        var rec = new LinkedHashMap<String, Object>();
        rec.put("step", m.step());
        rec.put("loss", o.loss());
        rec.put("domain_loss", RunRecords.nullIfNaN(o.domainLoss()));
        rec.put("counts", m.counts());
        rec.put("weights", m.weights());
        rec.put("lr", p.lr());
        rec.put("grad_norm", Double.isNaN(o.gradNorm()) ? null : o.gradNorm());
        rec.put("ms", nanos / 1e6);
        rec.put("tokens_per_s", tokens / (nanos / 1e9));
        rec.put("stats", p.stats());
        rec.putAll(o.fields());
        rec.put("rss_mb", Memory.rssBytes() >> 20);
        return rec;
    }

    /** The pooled estimate of a statistics step (the one estimate in this process). */
    private Map<String, Object> statsRecord(long step, List<GradientStats> stats) {
        Map<String, Object> rec = RunRecords.stats(step, corpus.names(), GradientStats.pool(stats));
        if (engine.workers() > 0) rec.put("pooled_from_workers", stats.size());
        return rec;
    }

    private String progress(
            StepEngine.Planned last,
            double loss,
            long nanos,
            int length,
            long tokens,
            long timedNanos,
            long timedSteps,
            StepEngine.Result round) {
        var sb = new StringBuilder(
                String.format("step %d/%d | loss %.4f | lr %.2e | w", last.step(), config.steps(), loss, last.lr()));
        double[] w = last.manifest().weights();
        for (int k = 0; k < w.length; k++)
            sb.append(' ').append(corpus.names().get(k)).append(String.format(" %.2f", w[k]));
        double perStep = timedSteps > 0 ? timedNanos / 1e9 / timedSteps : nanos / 1e9 / length;
        long eta = Math.round(perStep * (config.steps() - last.step() - 1));
        sb.append(String.format(
                " | %.0f tok/s | %d ms | ETA %dm%02ds",
                tokens * length / (nanos / 1e9), nanos / length / 1_000_000, eta / 60, eta % 60));
        return sb.append(round.progress()).toString();
    }

    /** The mixing strategy a run's configuration names, over the corpus's domains ({@link Strategies#forDataset}). */
    public static Strategy strategy(TrainConfig c, Corpus corpus) {
        double[] prior = c.strategy().equals("static") ? corpus.prior() : null;
        Checks.require(
                !c.strategy().equals("static") || prior != null, "strategy 'static' needs priors in the corpus spec");
        var options = c.pike().options(c.strategy()).withPrior(prior);
        return Strategies.forDataset(corpus.names().size(), corpus.tokens(), c.batch(), c.seed(), options);
    }

    /**
     * The run's configuration as written at its start (for --resume and eval). A config.json from before the
     * configuration was grouped into records (a flat "train" object) is read as what it meant.
     */
    public static TrainConfig readConfig(Path run) {
        Path file = run.resolve(RunFiles.CONFIG);
        Checks.require(Files.exists(file), "%s is not a run directory: no %s", run, RunFiles.CONFIG);
        try {
            JsonNode train = RunFiles.MAPPER.readTree(file.toFile()).get("train");
            Checks.require(train != null && train.isObject(), "%s has no \"train\" object", file);
            return train.has("lrPeak")
                    ? TrainConfig.fromFlat(train)
                    : RunFiles.MAPPER.treeToValue(train, TrainConfig.class);
        } catch (IOException e) {
            throw new UserException(file + " is unreadable: " + e.getMessage(), e);
        }
    }
}
