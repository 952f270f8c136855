package io.pikemix.training;

import java.util.LinkedHashMap;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The steps in this process, one per round: the step's gradient of eq. 2 (and at a statistics step the estimate)
 * from {@link MixedBatch}, then the AdamW update.
 */
final class LocalEngine implements StepEngine {
    private final RowSource rows;
    private final TrainConfig.Statistics statistics;
    private final long seed;
    private final MixedBatch.HeldOut heldOut;
    private final boolean adamMetric;

    LocalEngine(RowSource rows, TrainConfig.Statistics statistics, long seed, MixedBatch.HeldOut heldOut) {
        this(rows, statistics, seed, heldOut, false);
    }

    /** @param adamMetric statistics in AdamW's metric (robust-pike's {@code metric=adam}, {@link AdamW#metricScale}) */
    LocalEngine(
            RowSource rows,
            TrainConfig.Statistics statistics,
            long seed,
            MixedBatch.HeldOut heldOut,
            boolean adamMetric) {
        this.rows = rows;
        this.statistics = statistics;
        this.seed = seed;
        this.heldOut = heldOut;
        this.adamMetric = adamMetric;
    }

    @Override
    public Result run(GradientModel model, AdamW adam, List<Planned> steps) {
        Planned p = steps.get(0);
        // the metric of the moments before this step's update (null before the first: the identity)
        INDArray metric = adamMetric && p.stats() ? adam.metricScale(model.parameterNames()) : null;
        MixedBatch.Result r;
        try {
            r = MixedBatch.compute(
                    model,
                    rows,
                    p.manifest(),
                    p.stats(),
                    statistics.microBatches(),
                    statistics.fused(),
                    seed,
                    heldOut,
                    metric);
        } finally {
            if (metric != null) metric.close();
        }
        double gradNorm;
        try {
            // a non-finite loss rejects the step before the update (Trainer's --max-bad-steps decides the rest)
            gradNorm = Double.isFinite(r.loss()) ? adam.step(model.parameters(), r.gradient(), p.lr()) : Double.NaN;
        } finally {
            for (INDArray g : r.gradient().values()) GptModel.close(g);
        }
        var fields = new LinkedHashMap<String, Object>();
        fields.put("stats_ms", r.statsNanos() / 1e6);
        fields.put("graph_calls", r.graphCalls());
        var outcome = new Outcome(
                r.loss(), r.domainLoss(), gradNorm, r.stats() == null ? List.of() : List.of(r.stats()), fields);
        String progress = p.stats() ? String.format(" | stats %d ms", r.statsNanos() / 1_000_000) : "";
        return new Result(List.of(outcome), adam, p.stats() ? r.statsNanos() : 0, List.of(), progress);
    }
}
