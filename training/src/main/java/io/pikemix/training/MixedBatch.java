package io.pikemix.training;

import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.StepManifest;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One step's gradient from the mixer's manifest, built per domain (paper eq. 2):
 *
 *   g = Σ_k (b_k / b) · g_k,   g_k = mean gradient over domain k's b_k rows of the step
 *
 * computed as Σ_j (n_j / b) · g_j over micro-batches j of n_j rows, each inside one domain, which is the
 * same sum (every row has T tokens, every g_j is a mean over its n_j·T tokens).
 *
 * <p>At a statistics step (Algorithm 1 line 5) each domain's rows are split into m micro-batches of
 * s_k = max(1, ⌊b_k/m⌋) rows whose gradients also feed the estimator ({@link ArrayEstimator}, on the gradient
 * arrays: per-domain means, two-pass variances, K × K dot products); rows left over
 * (b_k − m·s_k) form one more micro-batch used only for the update. A domain with b_k < m rows this step
 * (PiKE can drive b_k to 0) is topped up with rows drawn uniformly from its training split, seeded by
 * (seed, step, domain): those rows feed the estimate only, never the update, so the update stays eq. 2.
 *
 * <p>{@code fused}: on steps without statistics, all rows in one micro-batch (identical gradient up to float
 * rounding — see the decomposition test — and fewer graph calls); per-domain losses come from token losses.
 *
 * <p>The micro-batches go to the model as row groups of one batch ({@link GradientModel#groupGradients}): the
 * engine computes every micro-batch's gradient in one forward and one backward pass (graphCalls = 1), the
 * SameDiff reference in one call each.
 */
public final class MixedBatch {
    private MixedBatch() {}

    /** Rows of one micro-batch: manifest positions (own rows) or global rows of the domain (top-up rows). */
    record Micro(int domain, int[] positions, long[] topUpRows, boolean update, int statsIndex) {
        int size() { return positions != null ? positions.length : topUpRows.length; }
    }

    /** The step's gradient (caller closes), losses and, at a statistics step, the estimate. */
    public record Result(Map<String, INDArray> gradient, double loss, double[] domainLoss, GradientStats stats,
                  long statsNanos, int graphCalls) {}

    static List<Micro> plan(StepManifest m, int domains, boolean stats, int microBatches, boolean fused,
                            long seed, RowSource source) {
        var out = new ArrayList<Micro>();
        if (!stats && fused) {
            out.add(new Micro(-1, range(0, m.size()), null, true, -1));
            return out;
        }
        int start = 0;
        for (int k = 0; k < domains; k++) {
            int own = m.counts()[k];
            if (!stats) {
                if (own > 0) out.add(new Micro(k, range(start, start + own), null, true, -1));
            } else {
                int s = Math.max(1, own / microBatches);
                int ownBatches = Math.min(microBatches, own / s);
                long[] extra = topUp(seed, m.step(), k, (microBatches - ownBatches) * s, source.rows(k));
                for (int j = 0; j < microBatches; j++) {
                    if (j < ownBatches) out.add(new Micro(k, range(start + j * s, start + (j + 1) * s), null, true, j));
                    else out.add(new Micro(k, null, Arrays.copyOfRange(extra, (j - ownBatches) * s, (j - ownBatches + 1) * s), false, j));
                }
                int used = Math.min(own, microBatches * s);
                if (own > used) out.add(new Micro(k, range(start + used, start + own), null, true, -1));
            }
            start += own;
        }
        return out;
    }

    public static Result compute(GradientModel model, RowSource source, StepManifest m, boolean stats, int microBatches,
                          boolean fused, long seed) {
        int K = source.domains(), b = m.size(), T = model.config().context();
        List<String> names = model.parameterNames();
        List<Micro> plan = plan(m, K, stats, microBatches, fused, seed, source);
        Map<String, INDArray> sum = null;
        double loss = 0;
        var domainLossSum = new double[K];
        var domainRows = new int[K];
        // an engine that reuses its gradient buffer: the sum needs its own arrays when more than one call feeds it
        boolean copy = model.reusesGradientBuffers() && plan.size() > 1;
        // all micro-batches as row groups of one batch: the engine takes every group's gradient from one pass. The
        // statistics micro-batches go first (domain-major, as plan() lists them), so that their gradients are the
        // leading rows of the model's group-gradient matrix and the estimator reads them in place
        var order = new ArrayList<Integer>();
        for (int i = 0; i < plan.size(); i++) if (plan.get(i).statsIndex() >= 0) order.add(i);
        int statsRows = order.size();
        for (int i = 0; i < plan.size(); i++) if (plan.get(i).statsIndex() < 0) order.add(i);
        var bounds = new int[plan.size() + 1];
        var all = new ArrayList<int[]>();
        for (int q = 0; q < order.size(); q++) {
            all.addAll(Arrays.asList(rows(plan.get(order.get(q)), m, source)));
            bounds[q + 1] = all.size();
        }
        List<GptModel.Gradient> gradients = model.groupGradients(Batch.of(all.toArray(int[][]::new), T), bounds);
        long statsNanos = 0;
        GradientStats estimate = null;
        if (stats) {
            long t0 = System.nanoTime();
            var statsGrads = new ArrayList<Map<String, INDArray>>();
            var domainOf = new int[statsRows];
            var seqs = new int[K];
            var lossSum = new double[K];
            for (int q = 0; q < statsRows; q++) {
                Micro mb = plan.get(order.get(q));
                statsGrads.add(gradients.get(q).gradients());
                domainOf[q] = mb.domain();
                seqs[mb.domain()] = mb.size();
                lossSum[mb.domain()] += gradients.get(q).loss();
            }
            var statsLoss = new double[K];
            for (int k = 0; k < K; k++) statsLoss[k] = lossSum[k] / microBatches;
            estimate = ArrayEstimator.estimate(statsGrads, model.groupGradientMatrix(), names, domainOf, K, seqs, statsLoss);
            statsNanos = System.nanoTime() - t0;
        }
        for (int q = 0; q < order.size(); q++) {
            Micro mb = plan.get(order.get(q));
            try (GptModel.Gradient g = gradients.get(q)) {
                if (!mb.update()) continue;
                addDomainLosses(mb, m, g, T, domainLossSum, domainRows);
                double share = (double) mb.size() / b;
                loss += share * g.loss();
                if (sum == null) {
                    sum = new LinkedHashMap<>();
                    for (String n : names) sum.put(n, copy ? g.gradients().get(n).mul(share) : g.gradients().get(n).muli(share));
                    if (!model.reusesGradientBuffers()) g.gradients().clear();      // now owned by sum
                } else {
                    for (String n : names) sum.get(n).addi(g.gradients().get(n).muli(share));
                }
            }
        }
        var domainLoss = new double[K];
        for (int k = 0; k < K; k++) domainLoss[k] = domainRows[k] == 0 ? Double.NaN : domainLossSum[k] / domainRows[k];
        return new Result(sum, loss, domainLoss, estimate, statsNanos, model.reusesGradientBuffers() ? 1 : plan.size());
    }

    private static void addDomainLosses(Micro mb, StepManifest m, GptModel.Gradient g, int T, double[] sum, int[] rows) {
        if (mb.domain() >= 0) {
            sum[mb.domain()] += g.loss() * mb.size();
            rows[mb.domain()] += mb.size();
            return;
        }
        float[] tokens = g.tokenLosses();
        for (int r = 0; r < mb.size(); r++) {
            int k = m.domain()[mb.positions()[r]];
            double rowLoss = 0;
            for (int t = 0; t < T; t++) rowLoss += tokens[r * T + t];
            sum[k] += rowLoss / T;
            rows[k]++;
        }
    }

    private static int[][] rows(Micro mb, StepManifest m, RowSource source) {
        var out = new int[mb.size()][source.rowLength()];
        for (int r = 0; r < out.length; r++) {
            if (mb.positions() != null) {
                int j = mb.positions()[r];
                source.copyRow(m.domain()[j], m.shard()[j], m.shardRow()[j], out[r]);
            } else {
                source.copyRow(mb.domain(), mb.topUpRows()[r], out[r]);
            }
        }
        return out;
    }

    /** {@code size} rows of a domain drawn uniformly without repetition (when it has that many), seeded by (seed, step, domain). */
    static long[] topUp(long seed, long step, int domain, int size, long domainRows) {
        var rnd = new SplittableRandom(seed).split();
        rnd = new SplittableRandom(rnd.nextLong() ^ step * 0x9E3779B97F4A7C15L ^ (domain + 1) * 0xBF58476D1CE4E5B9L);
        var out = new long[size];
        var used = new java.util.HashSet<Long>();
        for (int i = 0; i < size; i++) {
            long r;
            do r = rnd.nextLong(domainRows); while (used.size() < domainRows && !used.add(r));
            out[i] = r;
        }
        return out;
    }

    private static int[] range(int from, int to) {
        var r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }
}
