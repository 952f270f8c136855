package io.pikemix.training;

import io.pikemix.format.Checks;

/**
 * Everything a training run is made from (the command's validated options), written to
 * {@code RUN/config.json} and read back by {@code --resume}. Defaults (Table 6 where it applies) live in
 * the CLI; the paper's batch 256, context 1024 and 120k steps are scaled down for CPUs.
 *
 * @param dataset           ETL output directory (dataset.json)
 * @param strategy          mixer strategy name (mix, pike, ...)
 * @param steps             S, total optimiser steps (the schedule decays to lrFinal at S − 1)
 * @param batch             b, global rows per step
 * @param seed              seeds the model init, the mixer's permutations and the statistics top-up rows
 * @param updateInterval    T: statistics every T steps (Algorithm 1 line 4); only strategies that read them pay
 * @param statsMicroBatches m ≥ 2 micro-batches per domain at a statistics step
 * @param fused             steps without statistics run the whole batch in one graph call (same gradient)
 * @param checkpointEvery   steps between checkpoints (and at the end)
 * @param evalEvery         steps between validation losses on valRows rows per domain (and at the end); 0 = never
 */
public record TrainConfig(String dataset, String strategy, long steps, int batch, long seed,
                          int layers, int heads, int width, double lnEpsilon,
                          double lrPeak, double lrInit, double lrFinal, long warmup,
                          double beta1, double beta2, double weightDecay, double clipNorm,
                          int updateInterval, int statsMicroBatches, double zeta1, double zeta2, double tau,
                          double minWeight, boolean fused, long checkpointEvery, long evalEvery, int valRows,
                          int logEvery) {
    public TrainConfig {
        Checks.require(steps > 0, "--steps must be > 0, got %d", steps);
        Checks.require(batch > 0, "--batch must be > 0, got %d", batch);
        Checks.require(warmup >= 0 && warmup < steps, "--warmup must be in [0, --steps), got %d (steps %d)", warmup, steps);
        Checks.require(updateInterval > 0, "--update-interval must be > 0, got %d", updateInterval);
        Checks.require(statsMicroBatches >= 2, "--stats-micro-batches must be >= 2 (variance needs two), got %d", statsMicroBatches);
        Checks.require(checkpointEvery > 0, "--checkpoint-every must be > 0, got %d", checkpointEvery);
        Checks.require(evalEvery >= 0 && valRows > 0, "--eval-every must be >= 0 and --val-rows > 0, got %d, %d", evalEvery, valRows);
        Checks.require(logEvery > 0, "--log-every must be > 0, got %d", logEvery);
    }

    public GptConfig model(int vocabSize, int context) {
        return new GptConfig(vocabSize, context, layers, heads, width, lnEpsilon);
    }

    public LrSchedule schedule() { return new LrSchedule(lrInit, lrPeak, lrFinal, warmup, steps); }

    public AdamW.Hyper adam() { return new AdamW.Hyper(beta1, beta2, 1e-8, weightDecay, clipNorm); }

    public TrainConfig withSteps(long newSteps) {
        return new TrainConfig(dataset, strategy, newSteps, batch, seed, layers, heads, width, lnEpsilon, lrPeak, lrInit,
                lrFinal, warmup, beta1, beta2, weightDecay, clipNorm, updateInterval, statsMicroBatches, zeta1, zeta2, tau,
                minWeight, fused, checkpointEvery, evalEvery, valRows, logEvery);
    }
}
