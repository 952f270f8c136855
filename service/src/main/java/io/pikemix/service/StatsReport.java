package io.pikemix.service;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.mixer.GradientStats;
import java.io.IOException;
import java.util.Set;

/**
 * One worker's per-domain gradient statistics for one step: the body of {@code POST /v1/stats} and a line of the
 * event log. The fields are those of {@link GradientStats} from {@code GradientStatsAccumulator} (or the Python
 * client's estimator), per domain k in dataset order:
 *
 * <pre>
 * micro_batches[k]     m_k ≥ 2, micro-batches of domain k this worker used
 * sequences[k]         n_k ≥ m_k, sequences in them (Σ of the micro-batch sizes)
 * mean_grad_norm_sq[k] ‖ḡ_k‖² &gt; 0, squared norm of the mean micro-batch gradient
 * grad_norm_sq[k]      ‖ḡ_k‖² − v_k/m_k, the unbiased ‖∇L_k‖² (finite; may be ≤ 0 when the signal is below the noise)
 * grad_var[k]          σ_k² = s_k·v_k &gt; 0, the per-sequence variance (paper eq. (7))
 * loss[k]              mean loss ≥ 0 (optional; needed by fair-pike)
 * </pre>
 */
record StatsReport(
        long step,
        int worker,
        int workers,
        int[] microBatches,
        long[] sequences,
        double[] gradNormSq,
        double[] meanGradNormSq,
        double[] gradVar,
        double[] loss) {

    private static final Set<String> FIELDS = Set.of(
            "step",
            "worker",
            "workers",
            "micro_batches",
            "sequences",
            "grad_norm_sq",
            "mean_grad_norm_sq",
            "grad_var",
            "loss");

    /** Parses and validates a report for {@code domains} domains; every problem is a 400 or 422 naming the field. */
    static StatsReport parse(JsonNode n, int domains) {
        if (n == null || !n.isObject()) throw ApiException.badRequest("the body must be one JSON object");
        n.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) throw ApiException.badRequest("unknown field '" + f + "'; expected " + FIELDS);
        });
        long step = Json.longField(n, "step", true, 0);
        if (step < 0) throw ApiException.invalid("step must be >= 0, got " + step);
        long workerValue = Json.longField(n, "worker", false, 0), workersValue = Json.longField(n, "workers", false, 1);
        if (workerValue != (int) workerValue || workersValue != (int) workersValue) // (int) 2^32 + 1 would be worker 1
        throw ApiException.invalid("worker " + workerValue + " of " + workersValue + " is unknown");
        int worker = (int) workerValue;
        int workers = (int) workersValue;
        long[] m = Json.longs(n, "micro_batches", domains, true);
        long[] seqs = Json.longs(n, "sequences", domains, true);
        double[] normSq = Json.doubles(n, "grad_norm_sq", domains, true);
        double[] meanNormSq = Json.doubles(n, "mean_grad_norm_sq", domains, true);
        double[] var = Json.doubles(n, "grad_var", domains, true);
        double[] loss = Json.doubles(n, "loss", domains, false);
        var micro = new int[domains];
        for (int k = 0; k < domains; k++) {
            if (m[k] < 2 || m[k] > 1_000_000)
                throw ApiException.invalid("micro_batches[" + k + "] = " + m[k]
                        + "; the variance estimate needs >= 2 micro-batches per domain");
            micro[k] = (int) m[k];
            if (seqs[k] < m[k])
                throw ApiException.invalid(
                        "sequences[" + k + "] = " + seqs[k] + " is below micro_batches[" + k + "] = " + m[k]);
            positive("mean_grad_norm_sq", k, meanNormSq[k]);
            positive("grad_var", k, var[k]);
            if (!Double.isFinite(normSq[k]) || normSq[k] > meanNormSq[k])
                throw ApiException.invalid(
                        "grad_norm_sq[" + k + "] = " + normSq[k] + " must be finite and <= mean_grad_norm_sq[" + k
                                + "] = " + meanNormSq[k] + " (it is ‖ḡ‖² − v/m)");
            if (loss != null && !(Double.isFinite(loss[k]) && loss[k] >= 0))
                throw ApiException.invalid("loss[" + k + "] = " + loss[k] + " must be finite and >= 0");
        }
        return new StatsReport(step, worker, workers, micro, seqs, normSq, meanNormSq, var, loss);
    }

    private static void positive(String field, int k, double v) {
        if (!(Double.isFinite(v) && v > 0))
            throw ApiException.invalid(field + "[" + k + "] = " + v
                    + " must be finite and > 0; a zero or non-finite estimate cannot drive an update");
    }

    /** As a {@link GradientStats} for {@link GradientStats#pool} (inner products: only the diagonal is known). */
    GradientStats toGradientStats() {
        int K = gradNormSq.length;
        var inner = new double[K][K];
        var cos = new double[K][K];
        for (int k = 0; k < K; k++) {
            inner[k][k] = gradNormSq[k];
            cos[k][k] = 1;
        }
        return new GradientStats(
                microBatches.clone(),
                sequences.clone(),
                gradNormSq.clone(),
                meanGradNormSq.clone(),
                gradVar.clone(),
                inner,
                cos,
                loss == null ? null : loss.clone());
    }

    void write(JsonGenerator g) throws IOException {
        g.writeNumberField("step", step);
        g.writeNumberField("worker", worker);
        g.writeNumberField("workers", workers);
        g.writeFieldName("micro_batches");
        g.writeArray(microBatches, 0, microBatches.length);
        g.writeFieldName("sequences");
        g.writeArray(sequences, 0, sequences.length);
        Json.array(g, "grad_norm_sq", gradNormSq);
        Json.array(g, "mean_grad_norm_sq", meanGradNormSq);
        Json.array(g, "grad_var", gradVar);
        if (loss != null) Json.array(g, "loss", loss);
    }
}
