package io.pikemix.training;

import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.StepManifest;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * How the {@link Trainer}'s steps are computed: in this process ({@link LocalEngine}) or data-parallel on Spark
 * (training-spark's engine). The trainer owns the mixer, the run directory and the checkpoints; an engine turns a
 * round of planned steps into an updated model and optimiser and one {@link Outcome} per step.
 */
public interface StepEngine {
    /** One step as the mixer planned it: its global manifest, its learning rate, whether it takes statistics. */
    record Planned(StepManifest manifest, double lr, boolean stats) implements Serializable {
        public long step() {
            return manifest.step();
        }

        public int rows() {
            return manifest.size();
        }
    }

    /**
     * What a step gave.
     *
     * @param loss       mean token loss of the whole manifest
     * @param domainLoss mean token loss per domain (NaN where the step had no row of it)
     * @param gradNorm   global gradient norm before clipping, or NaN where there is none (Spark with A &gt; 1: the workers' mean)
     * @param stats      at a statistics step the estimates to pool (one per worker), else empty
     * @param fields     the engine's own metrics.jsonl fields (e.g. stats_ms; workers)
     */
    record Outcome(
            double loss, double[] domainLoss, double gradNorm, List<GradientStats> stats, Map<String, Object> fields) {}

    /**
     * What a round gave.
     *
     * @param steps      one outcome per planned step
     * @param adam       the optimiser after the round (the same object, or a new one where the engine replaced it)
     * @param statsNanos time spent on statistics, per worker
     * @param records    lines for the engine's {@link #recordsFile()}
     * @param progress   appended to the progress line
     */
    record Result(
            List<Outcome> steps, AdamW adam, long statsNanos, List<Map<String, Object>> records, String progress) {}

    /** Runs the planned steps from the model's and the optimiser's state, updating the model in place. */
    Result run(GradientModel model, AdamW adam, List<Planned> steps);

    /** Steps from {@code step} (of {@code total}) that form one round: 1 unless the engine averages every A steps. */
    default int roundLength(long step, long total) {
        return 1;
    }

    /** Workers whose statistics are pooled (stats.jsonl then says how many), or 0 in this process. */
    default int workers() {
        return 0;
    }

    /** A JSON-lines file of the engine's own in the run directory (cut back on resume like the others), or null. */
    default String recordsFile() {
        return null;
    }

    /** Entries the engine adds to config.json. */
    default Map<String, Object> provenance() {
        return Map.of();
    }
}
