package io.pikemix.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.Checks;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.ShardStore;
import io.pikemix.format.UserException;
import io.pikemix.training.Checkpoint;
import io.pikemix.training.Corpus;
import io.pikemix.training.GradientModel;
import io.pikemix.training.ModelKind;
import io.pikemix.training.RunFiles;
import io.pikemix.training.TrainConfig;
import io.pikemix.training.Trainer;
import io.pikemix.training.Validation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pike eval --run RUN}: the run's newest checkpoint on the held-out split — each domain's validation loss
 * (mean next-token cross-entropy, nats) and perplexity exp(loss), over all rows or a fixed evenly spaced subset
 * ({@link Validation}) — the validation {@link Cloze} accuracy per domain (on by default), and any downstream
 * tasks asked for ({@link Downstream}), written to {@code RUN/eval.json}:
 *
 * <pre>{"step":300,"strategy":..,"rows_per_domain":..,"domains":[...],"val_loss":[...],"perplexity":[...],"mean":..,"worst":..,
 *  "cloze":{"accuracy":[...],"items":[...],"mean":..,"chance":0.25,"continuation":m,"seed":s},
 *  "downstream":[{"task":"hellaswag","shots":0,"items":..,"accuracy":..,"accuracy_sum":..,"chance":..}]}</pre>
 *
 * Unscored numbers are written as null. Downstream results of an earlier call on the same checkpoint step are kept
 * unless the same task and shots are scored again.
 */
public final class RunEvaluation {
    private RunEvaluation() {}

    public static final String FILE = "eval.json";

    /**
     * One run's report. {@code cloze} is null when it was not scored (an eval.json written before it existed);
     * {@code downstream} lists the tasks scored on this step.
     */
    public record Report(
            String run,
            String strategy,
            long step,
            List<String> domains,
            double[] valLoss,
            double[] perplexity,
            double mean,
            double worst,
            int rowsPerDomain,
            Cloze.Result cloze,
            List<Downstream.TaskResult> downstream) {
        public Report {
            downstream = List.copyOf(downstream);
        }

        /** A report of validation losses only. */
        public Report(
                String run,
                String strategy,
                long step,
                List<String> domains,
                double[] valLoss,
                double[] perplexity,
                double mean,
                double worst,
                int rowsPerDomain) {
            this(run, strategy, step, domains, valLoss, perplexity, mean, worst, rowsPerDomain, null, List.of());
        }

        /** The validation cloze accuracy averaged over domains (chance {@link Cloze#CHANCE}); NaN when not scored. */
        public double clozeAccuracy() {
            return cloze == null ? Double.NaN : cloze.mean();
        }
    }

    /** A downstream task file: NAME ({@link TaskReaders#NAMES}) and its path. */
    public record Task(String name, Path file) {
        public Task {
            TaskReaders.checkName(name);
            Checks.require(Files.isRegularFile(file), "task file not found: %s", file);
        }

        /** {@code NAME=PATH}, the command's --task. */
        public static Task parse(String spec) {
            int eq = spec.indexOf('=');
            Checks.require(
                    eq > 0 && eq < spec.length() - 1,
                    "--task must be NAME=PATH (NAME one of %s), got '%s'",
                    String.join(", ", TaskReaders.NAMES),
                    spec);
            return new Task(spec.substring(0, eq), Path.of(spec.substring(eq + 1)));
        }
    }

    /**
     * What to evaluate. {@code rowsPerDomain} ≤ 0: every validation row; {@code clozeItems} items per domain of the
     * validation cloze task ({@link Cloze.Config#defaults} otherwise; 0: none); {@code tasks} are scored at each of
     * {@code shots} on their first {@code limit} examples (≤ 0: all) with {@code encoder} (the run's tokenizer; null
     * when there are no tasks). {@code seed} draws the cloze items and the k-shot demonstrations.
     */
    public record Options(
            int rowsPerDomain,
            int batch,
            ModelKind kind,
            long cacheBytes,
            int clozeItems,
            List<Task> tasks,
            List<Integer> shots,
            int limit,
            long seed,
            Downstream.TextEncoder encoder) {
        public static final long DEFAULT_SEED = 1234;

        public Options {
            Checks.require(batch > 0, "--batch must be > 0, got %d", batch);
            Checks.require(clozeItems >= 0, "--cloze-items must be >= 0, got %d", clozeItems);
            tasks = List.copyOf(tasks);
            shots = List.copyOf(shots);
            Checks.require(tasks.isEmpty() || encoder != null, "downstream tasks need the run's tokenizer");
            Checks.require(tasks.isEmpty() || !shots.isEmpty(), "--shots must name at least one k");
        }

        /** Validation loss and the default cloze task, no downstream task. */
        public static Options defaults(int rowsPerDomain, int batch, ModelKind kind, long cacheBytes) {
            return new Options(
                    rowsPerDomain,
                    batch,
                    kind,
                    cacheBytes,
                    Cloze.DEFAULT_ITEMS,
                    List.of(),
                    List.of(0),
                    0,
                    DEFAULT_SEED,
                    null);
        }
    }

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
        return evaluate(run, Options.defaults(rowsPerDomain, batch, kind, cacheBytes));
    }

    /** Evaluates the newest checkpoint as {@code o} says and writes {@code RUN/eval.json}. */
    public static Report evaluate(Path run, Options o) {
        TrainConfig config = Trainer.readConfig(run);
        Path dir = Checkpoint.latest(run).orElseThrow(() -> new UserException(run + " has no checkpoint to evaluate"));
        Checkpoint c = Checkpoint.read(dir);
        Corpus corpus = Corpus.open(config.dataset(), o.cacheBytes());
        int rows = o.rowsPerDomain() <= 0 ? Integer.MAX_VALUE : o.rowsPerDomain();
        double[] loss;
        Cloze.Result cloze = null;
        var downstream = new ArrayList<Downstream.TaskResult>();
        try (var model = o.kind().load(config.model(corpus.vocabSize(), corpus.context()), c.params())) {
            loss = Validation.losses(model, corpus.val(), rows, o.batch());
            if (o.clozeItems() > 0) cloze = cloze(model, corpus, config.dataset(), o);
            for (Task t : o.tasks()) {
                var examples = TaskReaders.read(t.name(), t.file());
                for (int k : o.shots())
                    downstream.add(
                            Downstream.run(t.name(), examples, model, o.encoder(), k, o.limit(), o.seed(), o.batch()));
            }
        }
        var ppl = new double[loss.length];
        for (int k = 0; k < loss.length; k++) ppl[k] = Math.exp(loss[k]);
        var report = new Report(
                run.toString(),
                config.strategy(),
                c.step(),
                corpus.names(),
                loss,
                ppl,
                Validation.mean(loss),
                Validation.worst(loss),
                o.rowsPerDomain() <= 0 ? -1 : o.rowsPerDomain(),
                cloze,
                keepEarlier(run, c.step(), downstream));
        write(run.resolve(FILE), report);
        return report;
    }

    private static Cloze.Result cloze(GradientModel model, Corpus corpus, String dataset, Options o) {
        Cloze.Config d = Cloze.Config.defaults(corpus.context(), o.seed());
        var cc = new Cloze.Config(o.clozeItems(), d.continuation(), d.minContext(), d.scanRows(), d.seed());
        int eos = DatasetInfo.read(dataset).tokenizer().eosId();
        return Cloze.evaluate(model, corpus.names(), corpus.val(), eos, cc, o.batch());
    }

    /** This call's downstream results, then an earlier eval.json's for the same step that this call did not redo. */
    private static List<Downstream.TaskResult> keepEarlier(Path run, long step, List<Downstream.TaskResult> now) {
        var out = new ArrayList<>(now);
        if (!Files.exists(run.resolve(FILE))) return out;
        Report old;
        try {
            old = read(run);
        } catch (UserException e) {
            return out; // unreadable: rewritten below
        }
        if (old.step() != step) return out;
        for (var t : old.downstream())
            if (now.stream().noneMatch(x -> x.name().equals(t.name()) && x.shots() == t.shots())) out.add(t);
        return out;
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
        if (r.cloze() != null) {
            var cz = new LinkedHashMap<String, Object>();
            cz.put("accuracy", nullable(r.cloze().accuracy()));
            cz.put("items", r.cloze().items());
            cz.put("mean", nullable(r.cloze().mean()));
            cz.put("chance", r.cloze().chance());
            rec.put("cloze", cz);
        }
        var ds = new ArrayList<Map<String, Object>>();
        for (var t : r.downstream()) {
            var m = new LinkedHashMap<String, Object>();
            m.put("task", t.name());
            m.put("shots", t.shots());
            m.put("items", t.items());
            m.put("accuracy", nullable(t.accuracy()));
            m.put("accuracy_sum", nullable(t.accuracyBySum()));
            m.put("chance", nullable(t.chance()));
            ds.add(m);
        }
        rec.put("downstream", ds);
        try {
            Files.writeString(file, RunFiles.MAPPER.writeValueAsString(rec));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Double nullable(double x) {
        return Double.isNaN(x) ? null : x;
    }

    private static List<Double> nullable(double[] xs) {
        var out = new ArrayList<Double>();
        for (double x : xs) out.add(nullable(x));
        return out;
    }

    private static double number(JsonNode n) {
        return n == null || n.isNull() ? Double.NaN : n.asDouble();
    }

    private static double[] numbers(JsonNode n) {
        var out = new double[n.size()];
        for (int i = 0; i < out.length; i++) out[i] = number(n.get(i));
        return out;
    }

    /** Reads {@code RUN/eval.json} (one written before the cloze task existed reads with {@code cloze} null). */
    public static Report read(Path run) {
        Path file = run.resolve(FILE);
        if (!Files.exists(file))
            throw new UserException(run + " has no " + FILE + "; run 'pike eval --run " + run + "' first");
        try {
            var n = RunFiles.MAPPER.readTree(file.toFile());
            var domains = new ArrayList<String>();
            n.get("domains").forEach(d -> domains.add(d.asText()));
            var rows = n.get("rows_per_domain");
            Cloze.Result cloze = null;
            if (n.hasNonNull("cloze")) {
                JsonNode cz = n.get("cloze");
                var items = new int[cz.get("items").size()];
                for (int i = 0; i < items.length; i++)
                    items[i] = cz.get("items").get(i).asInt();
                cloze = new Cloze.Result(
                        domains, numbers(cz.get("accuracy")), items, number(cz.get("mean")), number(cz.get("chance")));
            }
            var downstream = new ArrayList<Downstream.TaskResult>();
            if (n.has("downstream"))
                for (JsonNode t : n.get("downstream"))
                    downstream.add(new Downstream.TaskResult(
                            t.get("task").asText(),
                            t.get("shots").asInt(),
                            t.get("items").asInt(),
                            number(t.get("accuracy")),
                            number(t.get("accuracy_sum")),
                            number(t.get("chance"))));
            return new Report(
                    run.toString(),
                    n.get("strategy").asText(),
                    n.get("step").asLong(),
                    domains,
                    numbers(n.get("val_loss")),
                    numbers(n.get("perplexity")),
                    number(n.get("mean")),
                    number(n.get("worst")),
                    rows.isNumber() ? rows.asInt() : -1,
                    cloze,
                    downstream);
        } catch (IOException | NullPointerException e) {
            throw new UserException(file + " is unreadable: " + e.getMessage(), e);
        }
    }
}
