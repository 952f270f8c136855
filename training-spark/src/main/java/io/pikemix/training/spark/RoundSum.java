package io.pikemix.training.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The value {@code treeAggregate} builds from the workers of one round: the weighted sum of what they
 * return (A = 1: Σ_w (b_w/b)·g_w, the global gradient; A > 1: Σ_w ρ_w·θ_w and Σ_w ρ_w·(m_w, v_w) with
 * ρ_w = the worker's share of the round's rows) and their reports. The zero value has no tensors yet.
 */
final class RoundSum implements Serializable {
    private static final long serialVersionUID = 1L;
    Tensors sum;
    Tensors adamSum;
    final List<WorkerReport> reports = new ArrayList<>();

    /** seqOp: folds one worker's weighted contribution in. */
    static RoundSum add(RoundSum acc, Contribution c) {
        acc.sum = plus(acc.sum, c.sum());
        acc.adamSum = plus(acc.adamSum, c.adam());
        acc.reports.add(c.report());
        return acc;
    }

    /** combOp: merges two partial sums. */
    static RoundSum merge(RoundSum a, RoundSum b) {
        a.sum = plus(a.sum, b.sum);
        a.adamSum = plus(a.adamSum, b.adamSum);
        a.reports.addAll(b.reports);
        return a;
    }

    List<WorkerReport> sortedReports() {
        var r = new ArrayList<>(reports);
        r.sort(Comparator.comparingInt(WorkerReport::worker));
        return r;
    }

    private static Tensors plus(Tensors acc, Tensors x) {
        if (x == null) return acc;
        if (acc == null) return x.zerosLike().addScaled(x, 1.0);
        return acc.addScaled(x, 1.0);
    }

    /** What one worker returns: its already weighted tensors and its report. */
    record Contribution(Tensors sum, Tensors adam, WorkerReport report) implements Serializable {}
}
