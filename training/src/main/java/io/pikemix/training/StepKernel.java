package io.pikemix.training;

import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.StepManifest;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * The trainer's step kernel for code outside this package (the Spark workers of {@code io.pikemix.training.spark}):
 * one manifest's gradient built per domain, exactly as {@link Trainer} builds it (paper eq. 2; see MixedBatch).
 */
public final class StepKernel {
    private StepKernel() {}

    /**
     * @param gradient   Σ_k (b_k/b)·g_k over the manifest's b rows (caller closes the arrays)
     * @param loss       mean token loss of the manifest's rows
     * @param domainLoss mean token loss per domain (NaN where the manifest has no row of the domain)
     * @param stats      the per-domain estimate at a statistics step, else null
     */
    public record Outcome(Map<String, INDArray> gradient, double loss, double[] domainLoss, GradientStats stats,
                          long statsNanos, int graphCalls) {}

    /** The gradient of {@code manifest}'s rows (and, when {@code stats}, the estimate from m micro-batches per domain). */
    public static Outcome compute(GptModel model, RowSource rows, StepManifest manifest, boolean stats, int microBatches,
                                  boolean fused, long seed) {
        MixedBatch.Result r = MixedBatch.compute(model, rows, manifest, stats, microBatches, fused, seed);
        return new Outcome(r.gradient(), r.loss(), r.domainLoss(), r.stats(), r.statsNanos(), r.graphCalls());
    }

    /** The mixing strategy a run's configuration names, over the corpus's domains (as {@link Trainer} builds it). */
    public static io.pikemix.mixer.Strategy strategy(TrainConfig config, Corpus corpus) {
        return Trainer.strategy(config, corpus);
    }
}
