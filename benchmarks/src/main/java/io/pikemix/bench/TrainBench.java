package io.pikemix.bench;

import io.pikemix.mixer.DomainRows;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.Rounding;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.Strategies;
import io.pikemix.training.AdamW;
import io.pikemix.training.GptConfig;
import io.pikemix.training.GptModel;
import io.pikemix.training.GradientModel;
import io.pikemix.training.Memory;
import io.pikemix.training.MixedBatch;
import io.pikemix.training.ModelKind;
import io.pikemix.training.RowSource;
import io.pikemix.training.engine.GptEngine;
import io.pikemix.training.engine.NativeBackend;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The DL4J side of {@code bench/train}: steady-state training throughput of the GPT on random tokens, through the
 * trainer's own step ({@link MixedBatch} on a three-domain manifest, then AdamW). Usage:
 * <pre>
 *   TrainBench VOCAB CONTEXT LAYERS HEADS WIDTH BATCH WARMUP STEPS [LN_EPSILON]
 *     -Dpike.engine=engine|samediff   model implementation (default engine)
 *     -Dpike.statsEvery=T             PiKE statistics every T steps (2 micro-batches per domain); 0 = never (default)
 *     -Dpike.statsPaired=true         statistics on every other step (overrides statsEvery), each step timed: the
 *                                     statistics' cost measured in pairs of neighbouring steps of one process
 *     -Dpike.profile=true             engine only: milliseconds per op kind per step; with statsPaired also, per op kind
 *                                     (by shape), the median over steps with statistics and over steps without and
 *                                     their difference, plus the estimator and the rest of the step (batch, combine,
 *                                     AdamW, Java): where a statistics step's extra time goes
 * </pre>
 * Prints {@code RESULT tokens_per_s=… peak_rss_mb=… ms_per_step=… stats_ms_per_step=…}; paired, also
 * {@code with_stats_ms=… without_stats_ms=…}: the mean wall time of a step with and of a step without statistics
 * (the mixer's manifest, the forward and backward pass, the estimator and AdamW), interleaved so that both see the same
 * machine, and {@code median_pair_diff_ms=… median_without_ms=…}: the median over pairs of (a step with statistics −
 * the step without that follows it) and the median step without, the form bench/train reports (means move by the
 * other tenants' preemptions of single steps; the quartiles of the differences are printed beside it).
 */
public final class TrainBench {
    private TrainBench() {}

    public static void main(String[] a) {
        String ext = NativeBackend.select(); // before ND4J loads
        System.err.println("nd4j-native build: linux-x86_64" + ext);
        int V = Integer.parseInt(a[0]),
                T = Integer.parseInt(a[1]),
                L = Integer.parseInt(a[2]),
                H = Integer.parseInt(a[3]),
                C = Integer.parseInt(a[4]),
                B = Integer.parseInt(a[5]),
                warm = Integer.parseInt(a[6]),
                steps = Integer.parseInt(a[7]);
        double eps = a.length > 8 ? Double.parseDouble(a[8]) : GptConfig.FLAX_LN_EPSILON;
        ModelKind kind = ModelKind.parse(System.getProperty("pike.engine", "engine"));
        boolean paired = Boolean.getBoolean("pike.statsPaired");
        int statsEvery = paired ? 2 : Integer.getInteger("pike.statsEvery", 0);
        boolean profile = Boolean.getBoolean("pike.profile");
        var config = new GptConfig(V, T, L, H, C, eps);
        var source = new RandomRows(3, 4096, T + 1, V, 7);
        var domains = List.of(
                new DomainRows("a", new long[] {4096}),
                new DomainRows("b", new long[] {4096}),
                new DomainRows("c", new long[] {4096}));
        var mixer = new Mixer(
                new MixConfig(domains, B, 3, Rounding.CARRY, 1), Strategies.fixed(new double[] {0.5, 0.3, 0.2}));
        try (GradientModel model = kind.initialize(config, 1)) {
            var adam = AdamW.forModel(AdamW.Hyper.table6(), config, null, 0);
            long t0 = 0, statsNanos = 0;
            long[] pairNanos = new long[2], pairSteps = new long[2]; // [without, with] statistics
            var stepNanos = new java.util.ArrayList<long[]>(); // per timed step: {with statistics ? 1 : 0, nanoseconds}
            // paired + profile: per timed step, nanoseconds per op kind, for steps with and without statistics
            var profileWith = new java.util.ArrayList<Map<String, Long>>();
            var profileWithout = new java.util.ArrayList<Map<String, Long>>();
            for (int s = 0; s < warm + steps; s++) {
                if (s == warm) {
                    t0 = System.nanoTime();
                    if (profile) GptEngine.profile(true);
                }
                long ts = System.nanoTime();
                Map<String, long[]> before = profile && paired && s >= warm ? GptEngine.profileTimes() : null;
                StepManifest m = mixer.next();
                boolean stats = statsEvery > 0 && s % statsEvery == 0;
                MixedBatch.Result r = MixedBatch.compute(model, source, m, stats, 2, true, 1);
                adam.step(model.parameters(), r.gradient(), 1e-3);
                for (INDArray g : r.gradient().values()) GptModel.close(g);
                if (s >= warm) {
                    statsNanos += r.statsNanos();
                    long dt = System.nanoTime() - ts;
                    pairNanos[stats ? 1 : 0] += dt;
                    stepNanos.add(new long[] {stats ? 1 : 0, dt});
                    if (before != null) {
                        var per = new java.util.HashMap<String, Long>(); // this step's nanoseconds per op kind
                        GptEngine.profileTimes().forEach((k, v) -> {
                            long[] b = before.get(k);
                            per.put(k, v[0] - (b == null ? 0 : b[0]));
                        });
                        long ops = 0;
                        for (long v : per.values()) ops += v;
                        per.put("(statistics: estimator, outside the engine's ops)", r.statsNanos());
                        per.put("(the rest: batch, combine, AdamW, Java)", dt - ops - r.statsNanos());
                        (stats ? profileWith : profileWithout).add(per);
                    }
                    pairSteps[stats ? 1 : 0]++;
                }
                if (s % 10 == 0)
                    System.err.printf("step %d loss %.4f rss %d MB%n", s, r.loss(), Memory.rssBytes() >> 20);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            if (profile) printProfile(GptEngine.profileTimes(), steps, secs);
            System.out.printf(
                    "RESULT tokens_per_s=%.0f peak_rss_mb=%d ms_per_step=%.1f stats_ms_per_step=%.1f%n",
                    (double) steps * B * T / secs,
                    Memory.peakRssBytes() >> 20,
                    secs * 1000 / steps,
                    statsNanos / 1e6 / steps);
            if (paired && profile) printPairedProfile(profileWith, profileWithout);
            if (paired) {
                // robust to the other tenants' preemptions (which move single steps by ±15 % on a shared machine): the
                // median over pairs of (step with statistics − the step without right after it), and the median step
                // without statistics
                var diffs = new java.util.ArrayList<Double>();
                var without = new java.util.ArrayList<Double>();
                var with = new java.util.ArrayList<Double>();
                for (int i = 0; i + 1 < stepNanos.size(); i += 2) {
                    long[] w = stepNanos.get(i), o = stepNanos.get(i + 1);
                    if (w[0] != 1 || o[0] != 0) continue;
                    diffs.add((w[1] - o[1]) / 1e6);
                    without.add(o[1] / 1e6);
                    with.add(w[1] / 1e6);
                }
                System.out.printf(
                        "RESULT with_stats_ms=%.2f without_stats_ms=%.2f pairs=%d median_pair_diff_ms=%.2f"
                                + " pair_diff_q25_ms=%.2f pair_diff_q75_ms=%.2f median_without_ms=%.2f with_q10_ms=%.2f"
                                + " without_q10_ms=%.2f%n",
                        pairNanos[1] / 1e6 / Math.max(1, pairSteps[1]),
                        pairNanos[0] / 1e6 / Math.max(1, pairSteps[0]),
                        diffs.size(),
                        quantile(diffs, 0.5),
                        quantile(diffs, 0.25),
                        quantile(diffs, 0.75),
                        quantile(without, 0.5),
                        quantile(with, 0.1),
                        quantile(without, 0.1));
            }
        }
    }

    private static double quantile(java.util.List<Double> xs, double q) {
        if (xs.isEmpty()) return Double.NaN;
        var s = new java.util.ArrayList<>(xs);
        java.util.Collections.sort(s);
        return s.get((int) Math.min(s.size() - 1, Math.round(q * (s.size() - 1))));
    }

    /**
     * Per op kind, the median milliseconds of a step with statistics and of one without, and their difference, largest
     * differences first: where a statistics step's extra time goes (medians, so single preempted steps do not count).
     */
    private static void printPairedProfile(List<Map<String, Long>> with, List<Map<String, Long>> without) {
        var kinds = new java.util.TreeSet<String>();
        with.forEach(m -> kinds.addAll(m.keySet()));
        without.forEach(m -> kinds.addAll(m.keySet()));
        var rows = new java.util.ArrayList<double[]>();
        var names = new java.util.ArrayList<String>();
        double sumDiff = 0;
        for (String k : kinds) {
            var w = new java.util.ArrayList<Double>();
            var o = new java.util.ArrayList<Double>();
            with.forEach(m -> w.add(m.getOrDefault(k, 0L) / 1e6));
            without.forEach(m -> o.add(m.getOrDefault(k, 0L) / 1e6));
            double mw = quantile(w, 0.5), mo = quantile(o, 0.5);
            rows.add(new double[] {mw, mo, mw - mo});
            names.add(k);
            sumDiff += mw - mo;
        }
        var order = new java.util.ArrayList<Integer>();
        for (int i = 0; i < rows.size(); i++) order.add(i);
        order.sort((x, y) -> Double.compare(rows.get(y)[2], rows.get(x)[2]));
        System.out.printf(
                "paired profile (medians over %d steps with / %d without statistics): sum of median differences %.2f ms%n",
                with.size(), without.size(), sumDiff);
        for (int i : order) {
            double[] r = rows.get(i);
            if (Math.abs(r[2]) < 0.05 && r[0] < 0.5) continue;
            System.out.printf("  %-64s with %8.2f  without %8.2f  diff %+7.2f ms%n", names.get(i), r[0], r[1], r[2]);
        }
    }

    private static void printProfile(Map<String, long[]> times, int steps, double secs) {
        double total = 0;
        for (long[] t : times.values()) total += t[0];
        System.out.printf("profile: %.1f ms/step in ops of %.1f ms/step%n", total / 1e6 / steps, secs * 1000 / steps);
        times.entrySet().stream()
                .sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
                .forEach(e -> System.out.printf(
                        "  %-64s %8.2f ms/step %4d calls/step%n",
                        e.getKey(), e.getValue()[0] / 1e6 / steps, e.getValue()[1] / steps));
    }

    /** K domains of uniformly random token rows, fixed by the seed (one shard per domain). */
    private record RandomRows(int domains, long rowsPerDomain, int rowLength, int vocab, long seed)
            implements RowSource {
        @Override
        public long rows(int domain) {
            return rowsPerDomain;
        }

        @Override
        public void copyRow(int domain, int shard, long row, int[] into) {
            copyRow(domain, row, into);
        }

        @Override
        public void copyRow(int domain, long globalRow, int[] into) {
            var rnd = new SplittableRandom(seed ^ (globalRow * 0x9E3779B97F4A7C15L) ^ domain);
            for (int i = 0; i < rowLength; i++) into[i] = rnd.nextInt(vocab);
        }
    }
}
