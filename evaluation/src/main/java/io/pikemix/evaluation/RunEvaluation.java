package io.pikemix.evaluation;

import io.pikemix.format.ShardStore;
import io.pikemix.format.UserException;
import io.pikemix.training.Checkpoint;
import io.pikemix.training.Corpus;
import io.pikemix.training.ModelKind;
import io.pikemix.training.RunFiles;
import io.pikemix.training.TrainConfig;
import io.pikemix.training.Trainer;
import io.pikemix.training.Validation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * {@code pike eval --run RUN}: each domain's validation loss (mean next-token cross-entropy, nats) and perplexity
 * exp(loss) of the run's newest checkpoint, on the held-out split — all rows, or a fixed evenly spaced subset
 * ({@link Validation}) — written to {@code RUN/eval.json}:
 *
 * <pre>{"step":300,"rows_per_domain":...,"domains":[...],"val_loss":[...],"perplexity":[...],"mean":..,"worst":..}</pre>
 */
public final class RunEvaluation {
    private RunEvaluation() {}

    public static final String FILE = "eval.json";

    /** One run's per-domain validation report. */
    public record Report(String run, String strategy, long step, List<String> domains, double[] valLoss,
                         double[] perplexity, double mean, double worst, int rowsPerDomain) {}

    /** Evaluates the newest checkpoint on the engine; {@code rowsPerDomain} ≤ 0 means every validation row. */
    public static Report evaluate(Path run, int rowsPerDomain, int batch) {
        return evaluate(run, rowsPerDomain, batch, ModelKind.ENGINE, ShardStore.DEFAULT_CACHE_MB << 20);
    }

    /** As {@link #evaluate(Path, int, int)}, on the given model implementation. */
    public static Report evaluate(Path run, int rowsPerDomain, int batch, ModelKind kind) {
        return evaluate(run, rowsPerDomain, batch, kind, ShardStore.DEFAULT_CACHE_MB << 20);
    }

    /**
     * As {@link #evaluate(Path, int, int)}, on the given model implementation (same function, same checkpoint), on the
     * run's dataset (a directory or a Hadoop URI) with at most {@code cacheBytes} of shards in memory.
     */
    public static Report evaluate(Path run, int rowsPerDomain, int batch, ModelKind kind, long cacheBytes) {
        TrainConfig config = Trainer.readConfig(run);
        Path dir = Checkpoint.latest(run).orElseThrow(() -> new UserException(run + " has no checkpoint to evaluate"));
        Checkpoint c = Checkpoint.read(dir);
        Corpus corpus = Corpus.open(config.dataset(), cacheBytes);
        int rows = rowsPerDomain <= 0 ? Integer.MAX_VALUE : rowsPerDomain;
        double[] loss;
        try (var model = kind.load(config.model(corpus.vocabSize(), corpus.context()), c.params())) {
            loss = Validation.losses(model, corpus.val(), rows, batch);
        }
        var ppl = new double[loss.length];
        for (int k = 0; k < loss.length; k++) ppl[k] = Math.exp(loss[k]);
        var report = new Report(run.toString(), config.strategy(), c.step(), corpus.names(), loss, ppl,
                Validation.mean(loss), Validation.worst(loss), rowsPerDomain <= 0 ? -1 : rowsPerDomain);
        write(run.resolve(FILE), report);
        return report;
    }

    static void write(Path file, Report r) {
        var rec = new LinkedHashMap<String, Object>();
        rec.put("step", r.step());
        rec.put("strategy", r.strategy());
        rec.put("rows_per_domain", r.rowsPerDomain() < 0 ? "all" : r.rowsPerDomain());
        rec.put("domains", r.domains());
        rec.put("val_loss", r.valLoss());
        rec.put("perplexity", r.perplexity());
        rec.put("mean", r.mean());
        rec.put("worst", r.worst());
        try {
            Files.writeString(file, RunFiles.MAPPER.writeValueAsString(rec));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads {@code RUN/eval.json}. */
    public static Report read(Path run) {
        Path file = run.resolve(FILE);
        if (!Files.exists(file)) throw new UserException(run + " has no " + FILE + "; run 'pike eval --run " + run + "' first");
        try {
            var n = RunFiles.MAPPER.readTree(file.toFile());
            var domains = new java.util.ArrayList<String>();
            n.get("domains").forEach(d -> domains.add(d.asText()));
            double[] loss = RunFiles.MAPPER.treeToValue(n.get("val_loss"), double[].class);
            double[] ppl = RunFiles.MAPPER.treeToValue(n.get("perplexity"), double[].class);
            var rows = n.get("rows_per_domain");
            return new Report(run.toString(), n.get("strategy").asText(), n.get("step").asLong(), domains, loss, ppl,
                    n.get("mean").asDouble(), n.get("worst").asDouble(), rows.isNumber() ? rows.asInt() : -1);
        } catch (IOException e) {
            throw new UserException(file + " is unreadable: " + e.getMessage(), e);
        }
    }
}
