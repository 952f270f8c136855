package io.pikemix.training;

import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.StepManifest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

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
 * <p>Held-out rows ({@link HeldOut}, robust-pike's generalisation signal, mixer/ROBUST_PIKE.md): when on, the
 * last h rows of each domain's training split are never in a manifest (the trainer hands the mixer
 * {@link HeldOut#trim trimmed} row counts), and at a statistics step each domain also gets m held-out micro-batches
 * of s_k rows drawn from that slice (seeded by (seed, step, domain)), outside the update. The estimate's ‖∇L_k‖² is
 * then replaced by ŝ_k = ⟨t̄_k, h̄_k⟩, the inner product of the mean gradient of domain k's m training
 * micro-batches with the mean of its m held-out ones ({@code RobustPike.heldOutSignal}, per tensor and summed).
 * Never rows of the validation split.
 *
 * <p>Adam's metric (robust-pike's {@code metric=adam}, mixer/ROBUST_PIKE.md): given AdamW's column scale
 * d = D^(−1/2) ({@link AdamW#metricScale}), every statistic (‖∇L_k‖², σ_k², ⟨g_k, g_l⟩ and the held-out ŝ_k) is
 * computed in the inner product ⟨x, y⟩_{D⁻¹} = Σ_c x_c y_c / D_c, the first-order decrease of L_k under an AdamW
 * step. The update itself is unchanged.
 *
 * <p>The micro-batches go to the model as row groups of one batch ({@link GradientModel#groupGradients}): the
 * engine computes every micro-batch's gradient in one forward and one backward pass (graphCalls = 1), the
 * SameDiff reference in one call each.
 */
public final class MixedBatch {
    private MixedBatch() {}

    /**
     * Rows of one micro-batch: manifest positions (own rows) or global rows of the domain (top-up or held-out rows).
     * statsIndex ≥ 0: a statistics micro-batch; {@link #HELD_OUT}: a held-out one; −1: update only.
     */
    record Micro(int domain, int[] positions, long[] topUpRows, boolean update, int statsIndex) {
        int size() {
            return positions != null ? positions.length : topUpRows.length;
        }
    }

    static final int HELD_OUT = -2;

    /**
     * The held-out slice of robust-pike's generalisation signal: per domain, global training rows
     * [first_k, first_k + rows_k), the last rows of its split. {@link #NONE} when the signal is off.
     */
    public record HeldOut(long[] first, long[] rows) {
        public static final HeldOut NONE = new HeldOut(null, null);

        public boolean on() {
            return rows != null;
        }

        /**
         * The slice a run's strategy asks for: {@code robust-pike:heldout=H} holds out min(H, ⌊n_k/4⌋) rows of each
         * domain (at least 1, and only domains of ≥ 4 rows); any other strategy, or H = 0, holds out none.
         */
        public static HeldOut forStrategy(String strategy, List<io.pikemix.mixer.DomainRows> train) {
            if (!io.pikemix.mixer.RobustPikeParams.isSpec(strategy)) return NONE;
            int h = io.pikemix.mixer.RobustPikeParams.parse(strategy).heldOutRows();
            if (h == 0) return NONE;
            var first = new long[train.size()];
            var rows = new long[train.size()];
            for (int k = 0; k < rows.length; k++) {
                long n = train.get(k).sequences();
                io.pikemix.format.Checks.require(
                        n >= 4,
                        "domain '%s' has %d training rows; the held-out signal needs >= 4",
                        train.get(k).name(),
                        n);
                rows[k] = Math.max(1, Math.min(h, n / 4));
                first[k] = n - rows[k];
            }
            return new HeldOut(first, rows);
        }

        /** The domains' row counts without the held-out rows (removed from the last shards backwards): the mixer's view. */
        public List<io.pikemix.mixer.DomainRows> trim(List<io.pikemix.mixer.DomainRows> train) {
            if (!on()) return train;
            var out = new ArrayList<io.pikemix.mixer.DomainRows>();
            for (int k = 0; k < train.size(); k++) {
                long[] counts = train.get(k).shardRowCounts();
                long cut = rows[k];
                for (int s = counts.length - 1; s >= 0 && cut > 0; s--) {
                    long c = Math.min(cut, counts[s]);
                    counts[s] -= c;
                    cut -= c;
                }
                out.add(new io.pikemix.mixer.DomainRows(train.get(k).name(), counts));
            }
            return out;
        }

        /** {@code size} held-out rows of domain k, uniform over its slice, seeded by (seed, step, domain). */
        long[] draw(long seed, long step, int k, int size) {
            long[] r = topUp(seed ^ 0x6A09E667F3BCC909L, step, k, size, rows[k]);
            for (int i = 0; i < r.length; i++) r[i] += first[k];
            return r;
        }
    }

    /** The step's gradient (caller closes), losses and, at a statistics step, the estimate. */
    public record Result(
            Map<String, INDArray> gradient,
            double loss,
            double[] domainLoss,
            GradientStats stats,
            long statsNanos,
            int graphCalls) {}

    static List<Micro> plan(
            StepManifest m, int domains, boolean stats, int microBatches, boolean fused, long seed, RowSource source) {
        return plan(m, domains, stats, microBatches, fused, seed, source, HeldOut.NONE);
    }

    static List<Micro> plan(
            StepManifest m,
            int domains,
            boolean stats,
            int microBatches,
            boolean fused,
            long seed,
            RowSource source,
            HeldOut heldOut) {
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
                    else
                        out.add(new Micro(
                                k,
                                null,
                                Arrays.copyOfRange(extra, (j - ownBatches) * s, (j - ownBatches + 1) * s),
                                false,
                                j));
                }
                int used = Math.min(own, microBatches * s);
                if (own > used) out.add(new Micro(k, range(start + used, start + own), null, true, -1));
                if (heldOut.on()) {
                    long[] held = heldOut.draw(seed, m.step(), k, microBatches * s);
                    for (int j = 0; j < microBatches; j++)
                        out.add(new Micro(k, null, Arrays.copyOfRange(held, j * s, (j + 1) * s), false, HELD_OUT));
                }
            }
            start += own;
        }
        return out;
    }

    public static Result compute(
            GradientModel model,
            RowSource source,
            StepManifest m,
            boolean stats,
            int microBatches,
            boolean fused,
            long seed) {
        return compute(model, source, m, stats, microBatches, fused, seed, HeldOut.NONE);
    }

    /** {@link #compute} with robust-pike's held-out micro-batches at statistics steps (see the class comment). */
    public static Result compute(
            GradientModel model,
            RowSource source,
            StepManifest m,
            boolean stats,
            int microBatches,
            boolean fused,
            long seed,
            HeldOut heldOut) {
        return compute(model, source, m, stats, microBatches, fused, seed, heldOut, null);
    }

    /**
     * {@link #compute} with held-out micro-batches and the statistics in the metric whose column scale is
     * {@code metric} (d = D^(−1/2), a [P] array in the layout of {@link GradientModel#groupGradientMatrix()}; null:
     * Euclidean). See the class comment.
     */
    public static Result compute(
            GradientModel model,
            RowSource source,
            StepManifest m,
            boolean stats,
            int microBatches,
            boolean fused,
            long seed,
            HeldOut heldOut,
            INDArray metric) {
        int K = source.domains(), b = m.size(), T = model.config().context();
        List<String> names = model.parameterNames();
        List<Micro> plan = plan(m, K, stats, microBatches, fused, seed, source, heldOut);
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
            estimate = ArrayEstimator.estimate(
                    statsGrads, model.groupGradientMatrix(), names, domainOf, K, seqs, statsLoss, metric);
            if (heldOut.on()) {
                var train = new ArrayList<List<Map<String, INDArray>>>();
                var held = new ArrayList<List<Map<String, INDArray>>>();
                for (int k = 0; k < K; k++) {
                    train.add(new ArrayList<>());
                    held.add(new ArrayList<>());
                }
                for (int q = 0; q < order.size(); q++) {
                    Micro mb = plan.get(order.get(q));
                    if (mb.statsIndex() >= 0)
                        train.get(mb.domain()).add(gradients.get(q).gradients());
                    else if (mb.statsIndex() == HELD_OUT)
                        held.get(mb.domain()).add(gradients.get(q).gradients());
                }
                var signal = new double[K];
                for (int k = 0; k < K; k++) signal[k] = heldOutSignal(train.get(k), held.get(k), names, metric);
                estimate = new GradientStats(
                        estimate.microBatches(),
                        estimate.sequences(),
                        signal,
                        estimate.meanGradNormSq(),
                        estimate.gradVar(),
                        estimate.innerProducts(),
                        estimate.cosine(),
                        estimate.loss());
            }
            statsNanos = System.nanoTime() - t0;
        }
        // the update, eq. 2: Σ_j (n_j / b)·g_j over the update micro-batches — one GEMV where the model offers it
        var weights = new double[order.size()];
        for (int q = 0; q < order.size(); q++) {
            Micro mb = plan.get(order.get(q));
            if (!mb.update()) continue;
            GptModel.Gradient g = gradients.get(q);
            addDomainLosses(mb, m, g, T, domainLossSum, domainRows);
            weights[q] = (double) mb.size() / b;
            loss += weights[q] * g.loss();
        }
        Map<String, INDArray> combined = order.size() > 1 ? model.combineGroupGradients(weights) : null;
        for (int q = 0; q < order.size(); q++) {
            try (GptModel.Gradient g = gradients.get(q)) {
                double share = weights[q];
                if (combined != null || share == 0) continue;
                if (sum == null) {
                    sum = new LinkedHashMap<>();
                    for (String n : names)
                        sum.put(
                                n,
                                copy
                                        ? g.gradients().get(n).mul(share)
                                        : share == 1
                                                ? g.gradients().get(n)
                                                : g.gradients().get(n).muli(share));
                    if (!model.reusesGradientBuffers()) g.gradients().clear(); // now owned by sum
                } else {
                    for (String n : names) sum.get(n).addi(g.gradients().get(n).muli(share));
                }
            }
        }
        if (combined != null) sum = combined;
        var domainLoss = new double[K];
        for (int k = 0; k < K; k++) domainLoss[k] = domainRows[k] == 0 ? Double.NaN : domainLossSum[k] / domainRows[k];
        return new Result(sum, loss, domainLoss, estimate, statsNanos, model.reusesGradientBuffers() ? 1 : plan.size());
    }

    /**
     * ŝ = ⟨t̄, h̄⟩ = Σ_tensors Σ_c t̄_c h̄_c with t̄, h̄ the means of the training and the held-out micro-batch gradients
     * (RobustPike.heldOutSignal on the arrays, in double).
     */
    static double heldOutSignal(
            List<Map<String, INDArray>> train, List<Map<String, INDArray>> held, List<String> names) {
        return heldOutSignal(train, held, names, null);
    }

    /** ŝ in the metric of column scale {@code metric} (d = D^(−1/2), flat in {@code names} order; null: Euclidean): Σ_c t̄_c h̄_c d_c². */
    static double heldOutSignal(
            List<Map<String, INDArray>> train, List<Map<String, INDArray>> held, List<String> names, INDArray metric) {
        io.pikemix.format.Checks.require(
                !train.isEmpty() && !held.isEmpty(), "need training and held-out micro-batches");
        double s = 0;
        long offset = 0;
        for (String n : names) {
            try (INDArray t = mean(train, n);
                    INDArray h = mean(held, n)) {
                long len = t.length();
                INDArray p = t.reshape(len).muli(h.reshape(len));
                if (metric != null) {
                    INDArray d = metric.reshape(metric.length())
                            .get(org.nd4j.linalg.indexing.NDArrayIndex.interval(offset, offset + len))
                            .castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
                    p.muli(d).muli(d);
                }
                s += p.sumNumber().doubleValue();
                offset += len;
            }
        }
        return s;
    }

    private static INDArray mean(List<Map<String, INDArray>> grads, String name) {
        INDArray acc = grads.get(0).get(name).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        if (acc == grads.get(0).get(name)) acc = acc.dup();
        for (int i = 1; i < grads.size(); i++)
            acc.addi(grads.get(i).get(name).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE));
        return acc.divi(grads.size());
    }

    private static void addDomainLosses(
            Micro mb, StepManifest m, GptModel.Gradient g, int T, double[] sum, int[] rows) {
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
            do r = rnd.nextLong(domainRows);
            while (used.size() < domainRows && !used.add(r));
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
