package io.pikemix.training;

import io.pikemix.format.Checks;
import io.pikemix.mixer.GradientStats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The run-directory records both trainers write (training/README.md, "Run directory"): the single-process {@link Trainer}
 * and the Spark one ({@code io.pikemix.training.spark.SparkTrainer}) share these, so a notebook reads their
 * runs alike.
 */
public final class RunRecords {
    private RunRecords() {}

    /** Validation losses per domain on the held-out rows, appended to val.jsonl and logged. */
    public static double[] validate(
            GradientModel model, Corpus corpus, TrainConfig config, RunFiles.Lines out, long step, Logger log) {
        long t0 = System.nanoTime();
        double[] losses =
                Validation.losses(model, corpus.val(), config.cadence().valRows(), config.batch());
        var rec = new LinkedHashMap<String, Object>();
        rec.put("step", step);
        rec.put("domains", corpus.names());
        if (corpus.tokenizerHash() != null) rec.put(TOKENIZER_HASH, corpus.tokenizerHash());
        rec.put("val_loss", losses);
        rec.put("mean", Validation.mean(losses));
        rec.put("worst", Validation.worst(losses));
        out.write(rec);
        log.info(
                "val @ {} | mean {} | worst {} | {}",
                step,
                String.format("%.4f", Validation.mean(losses)),
                String.format("%.4f", Validation.worst(losses)),
                String.format("%.1f s", (System.nanoTime() - t0) / 1e9));
        return losses;
    }

    /** One stats.jsonl line: the estimate of a statistics step. */
    public static Map<String, Object> stats(long step, List<String> domains, GradientStats s) {
        var rec = new LinkedHashMap<String, Object>();
        rec.put("step", step);
        rec.put("domains", domains);
        rec.put("micro_batches", s.microBatches());
        rec.put("sequences", s.sequences());
        rec.put("grad_norm_sq", s.gradNormSq());
        rec.put("mean_grad_norm_sq", s.meanGradNormSq());
        rec.put("grad_var", s.gradVar());
        rec.put("loss", s.loss());
        rec.put("inner_products", s.innerProducts());
        rec.put("cosine", s.cosine());
        return rec;
    }

    /**
     * Resume: the dataset must hold the token ids the run was trained on. A run whose config.json records the
     * tokenizer's hash (runs since 2026-11-27) is refused on a dataset made by another tokenizer, e.g. one rebuilt at
     * the same path with another --tokenizer, whose ids mean other strings; older runs are not checked.
     */
    public static void requireSameTokenizer(Path run, Corpus corpus) {
        Path file = run.resolve(RunFiles.CONFIG);
        try {
            var recorded = RunFiles.MAPPER.readTree(file.toFile()).get(TOKENIZER_HASH);
            if (recorded == null || corpus.tokenizerHash() == null) return;
            Checks.require(
                    recorded.asText().equals(corpus.tokenizerHash()),
                    "%s was trained on token ids of tokenizer %s, but the dataset's tokenizer is %s; resume it on the"
                            + " dataset it was trained on",
                    run,
                    abbreviate(recorded.asText()),
                    abbreviate(corpus.tokenizerHash()));
        } catch (IOException e) {
            throw new io.pikemix.format.UserException(file + " is unreadable: " + e.getMessage(), e);
        }
    }

    private static String abbreviate(String sha256) {
        return "sha256:" + sha256.substring(0, Math.min(12, sha256.length()));
    }

    /** Resume: cuts every JSON-lines file back to what a checkpoint after {@code step} completed steps covers. */
    public static void truncateAfter(Path run, long step, String... extraStepFiles) {
        RunFiles.truncate(run.resolve(RunFiles.METRICS), s -> s < step);
        RunFiles.truncate(run.resolve(RunFiles.MANIFEST), s -> s < step);
        RunFiles.truncate(run.resolve(RunFiles.STATS), s -> s < step);
        RunFiles.truncate(run.resolve(RunFiles.WEIGHTS), s -> s <= step);
        RunFiles.truncate(run.resolve(RunFiles.VAL), s -> s <= step);
        for (String f : extraStepFiles) RunFiles.truncate(run.resolve(f), s -> s < step);
    }

    /** config.json's key for the SHA-256 of the dataset's tokenizer ({@link Corpus#tokenizerHash}). */
    public static final String TOKENIZER_HASH = "tokenizer_sha256";

    /** config.json: every option, the model, its size, the domains, the tokenizer and where the run came from. */
    public static Map<String, Object> provenance(TrainConfig config, Corpus corpus) {
        var rec = new LinkedHashMap<String, Object>();
        rec.put("train", config);
        rec.put("model", config.model(corpus.vocabSize(), corpus.context()));
        rec.put("parameters", config.model(corpus.vocabSize(), corpus.context()).parameterCount());
        rec.put("domains", corpus.names());
        if (corpus.tokenizerHash() != null) rec.put(TOKENIZER_HASH, corpus.tokenizerHash());
        rec.put("git_commit", Memory.gitCommit());
        rec.put("dl4j", "1.0.0-M2.1");
        rec.put("backend", Backend.describe());
        rec.put("java", System.getProperty("java.version"));
        return rec;
    }

    /** JSON has no NaN: null where a value is missing (e.g. the loss of a domain without rows this step). */
    public static Double[] nullIfNaN(double[] values) {
        var out = new Double[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Double.isNaN(values[i]) ? null : values[i];
        return out;
    }
}
