package io.pikemix.training.spark;

import io.pikemix.mixer.GradientStats;
import java.io.Serializable;
import java.util.List;

/**
 * One worker's account of one round (no tensors: those go into {@link RoundSum}'s weighted sums). Written to
 * {@code RUN/workers.jsonl}, so the run records which worker reported what.
 *
 * @param rows       rows of its share per step of the round
 * @param counts     rows of its share per step and domain
 * @param loss       mean token loss of its share per step (NaN for an empty share)
 * @param domainLoss mean token loss per step and domain over its share (NaN where it had no row)
 * @param stats      its estimate at each statistics step of the round (null entries elsewhere)
 * @param gradNorm   A > 1: its local gradient norm per step before clipping; A = 1: NaN (the driver clips)
 */
record WorkerReport(
        long round,
        int worker,
        int attempt,
        String executor,
        String host,
        long pid,
        long[] steps,
        int[] rows,
        int[][] counts,
        double[] loss,
        double[][] domainLoss,
        List<GradientStats> stats,
        double[] gradNorm,
        long nanos,
        long statsNanos,
        long rssBytes)
        implements Serializable {}
