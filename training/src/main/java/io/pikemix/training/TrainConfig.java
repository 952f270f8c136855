package io.pikemix.training;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.Checks;
import io.pikemix.format.UserException;
import io.pikemix.mixer.StrategyOptions;
import java.io.Serializable;

/**
 * Everything a training run is made from (the command's validated options), written to {@code RUN/config.json}
 * under "train" and read back by {@code --resume}. Defaults (Table 6 where it applies) live in the CLI; the paper's
 * batch 256, context 1024 and 120k steps are scaled down for CPUs. Each group is its own record; the batch size b
 * and the step count S are each held once (S is {@code schedule.total()}).
 *
 * @param dataset    ETL output (dataset.json): a directory or a Hadoop URI
 * @param strategy   mixer strategy name (mix, pike, ..., or a {@code robust-pike:key=value,...} spec)
 * @param batch      b, global rows per step (the mixer's, PiKE's ζ2/(2b) and Conceptual PiKE's b)
 * @param seed       seeds the model init, the mixer's permutations and the statistics top-up rows
 * @param model      the GPT's shape; the vocabulary and the context come from the dataset
 * @param schedule   the learning rate over S = {@code schedule.total()} optimiser steps (Table 6)
 * @param adam       AdamW's hyperparameters (Table 6)
 * @param pike       PiKE / Fair-PiKE hyperparameters (Algorithms 1 and 3)
 * @param statistics when and how the per-domain gradient statistics are taken
 * @param cadence    checkpoints, validation and progress lines
 */
public record TrainConfig(
        String dataset,
        String strategy,
        int batch,
        long seed,
        ModelShape model,
        LrSchedule schedule,
        AdamW.Hyper adam,
        Pike pike,
        Statistics statistics,
        Cadence cadence) {
    public TrainConfig {
        Checks.require(dataset != null && strategy != null, "a dataset and a strategy are required");
        Checks.require(batch > 0, "--batch must be > 0, got %d", batch);
        Checks.require(
                model != null
                        && schedule != null
                        && adam != null
                        && pike != null
                        && statistics != null
                        && cadence != null,
                "every part of the training configuration is required");
        Checks.require(
                schedule.warmup() < schedule.total(),
                "--warmup must be in [0, --steps), got %d (steps %d)",
                schedule.warmup(),
                schedule.total());
        pike.options(strategy).pike(batch); // PiKE's own checks, at this batch
    }

    /** The GPT's shape without the dataset's vocabulary and context (paper Appendix D.3, Table 5 scaled down). */
    public record ModelShape(int layers, int heads, int width, double lnEpsilon) implements Serializable {
        public ModelShape {
            new GptConfig(2, 2, layers, heads, width, lnEpsilon); // its checks, for any vocabulary and context
        }

        /** The demo model: 2 layers, width 128, 4 heads, Flax's LayerNorm ε ({@link GptConfig#tiny}). */
        public static ModelShape tiny() {
            return new ModelShape(2, 4, 128, GptConfig.FLAX_LN_EPSILON);
        }

        public GptConfig gpt(int vocabSize, int context) {
            return new GptConfig(vocabSize, context, layers, heads, width, lnEpsilon);
        }
    }

    /** ζ1, ζ2, τ and the weight floor of PiKE / Fair-PiKE ({@link io.pikemix.mixer.PikeParams}, which adds b). */
    public record Pike(double zeta1, double zeta2, double tau, double minWeight) implements Serializable {
        /** Table 7's ζ1 = 0.01, ζ2 = 10, τ = 3 and the floor 1e-6. */
        public static Pike defaults() {
            var d = StrategyOptions.defaults("pike");
            return new Pike(d.zeta1(), d.zeta2(), d.tau(), d.minWeight());
        }

        /** The mixer's description of strategy {@code name} with these values. */
        public StrategyOptions options(String name) {
            return StrategyOptions.defaults(name).withPike(zeta1, zeta2, tau, minWeight);
        }
    }

    /**
     * @param updateInterval T: statistics every T steps (Algorithm 1 line 4); only strategies that read them pay
     * @param microBatches   m ≥ 2 micro-batches per domain at a statistics step
     * @param fused          steps without statistics run the whole batch as one group (same gradient)
     */
    public record Statistics(int updateInterval, int microBatches, boolean fused) implements Serializable {
        public Statistics {
            Checks.require(updateInterval > 0, "--update-interval must be > 0, got %d", updateInterval);
            Checks.require(
                    microBatches >= 2, "--stats-micro-batches must be >= 2 (variance needs two), got %d", microBatches);
        }
    }

    /**
     * @param checkpointEvery steps between checkpoints (and at the end)
     * @param evalEvery       steps between validation losses on valRows rows per domain (and at 0 and the end); 0 = never
     * @param valRows         validation rows per domain (evenly spaced)
     * @param logEvery        steps between progress lines
     * @param maxBadSteps     steps with a non-finite loss or gradient that are rejected (no update, logged) before the
     *                        run stops; 0 (the default, and what a config.json without it means) stops at the first
     */
    public record Cadence(long checkpointEvery, long evalEvery, int valRows, int logEvery, int maxBadSteps)
            implements Serializable {
        /** The default policy: stop at the first non-finite step. */
        public Cadence(long checkpointEvery, long evalEvery, int valRows, int logEvery) {
            this(checkpointEvery, evalEvery, valRows, logEvery, 0);
        }

        public Cadence {
            Checks.require(maxBadSteps >= 0, "--max-bad-steps must be >= 0, got %d", maxBadSteps);
            Checks.require(checkpointEvery > 0, "--checkpoint-every must be > 0, got %d", checkpointEvery);
            Checks.require(
                    evalEvery >= 0 && valRows > 0,
                    "--eval-every must be >= 0 and --val-rows > 0, got %d, %d",
                    evalEvery,
                    valRows);
            Checks.require(logEvery > 0, "--log-every must be > 0, got %d", logEvery);
        }
    }

    /** S, the optimiser steps of the run. */
    public long steps() {
        return schedule.total();
    }

    public GptConfig model(int vocabSize, int context) {
        return model.gpt(vocabSize, context);
    }

    /** The same run trained to {@code newSteps} (the schedule then decays to its final rate at newSteps − 1). */
    public TrainConfig withSteps(long newSteps) {
        var s = new LrSchedule(schedule.init(), schedule.peak(), schedule.fin(), schedule.warmup(), newSteps);
        return new TrainConfig(dataset, strategy, batch, seed, model, s, adam, pike, statistics, cadence);
    }

    /**
     * The flat "train" object that config.json held before the configuration was grouped into records (28 fields:
     * dataset, strategy, steps, batch, seed, layers, ..., logEvery; AdamW's ε was then always 1e-8), so that older
     * run directories still resume and evaluate.
     */
    static TrainConfig fromFlat(JsonNode n) {
        return new TrainConfig(
                text(n, "dataset"),
                text(n, "strategy"),
                (int) integer(n, "batch"),
                integer(n, "seed"),
                new ModelShape(
                        (int) integer(n, "layers"),
                        (int) integer(n, "heads"),
                        (int) integer(n, "width"),
                        number(n, "lnEpsilon")),
                new LrSchedule(
                        number(n, "lrInit"),
                        number(n, "lrPeak"),
                        number(n, "lrFinal"),
                        integer(n, "warmup"),
                        integer(n, "steps")),
                new AdamW.Hyper(
                        number(n, "beta1"), number(n, "beta2"), 1e-8, number(n, "weightDecay"), number(n, "clipNorm")),
                new Pike(number(n, "zeta1"), number(n, "zeta2"), number(n, "tau"), number(n, "minWeight")),
                new Statistics(
                        (int) integer(n, "updateInterval"),
                        (int) integer(n, "statsMicroBatches"),
                        field(n, "fused").asBoolean()),
                new Cadence(integer(n, "checkpointEvery"), integer(n, "evalEvery"), (int) integer(n, "valRows"), (int)
                        integer(n, "logEvery")));
    }

    private static JsonNode field(JsonNode n, String name) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull())
            throw new UserException("the run's configuration (flat, from an older version) has no '" + name + "'");
        return v;
    }

    private static double number(JsonNode n, String name) {
        return field(n, name).asDouble();
    }

    private static long integer(JsonNode n, String name) {
        return field(n, name).asLong();
    }

    private static String text(JsonNode n, String name) {
        return field(n, name).asText();
    }
}
