package io.pikemix.bench;

import io.pikemix.mixer.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code bench/mixer}: manifest rows per second for K = 3, 6 and 64 domains at batch 256 on one thread, the time
 * of one weight update (plus the step's composition, which is what Round-Robin and Random compute) per strategy, and the estimator's throughput, through the public API only. Each domain
 * has 10^9 rows in 1,000 shards (so permutations and shard lookups are at corpus scale); weights are a seeded
 * Dirichlet draw, rounding carries remainders. Ends with {@code RESULT rows_per_s_k64=N}.
 * Arguments: [seconds per measurement, default 2].
 */
public final class MixerBench {
    private static long sink; // keeps the JIT from discarding the work

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        System.out.printf(
                Locale.ROOT,
                "mixer bench: batch 256, 10^9 rows per domain in 1,000 shards, one thread, %.1f s per measurement%n",
                seconds);
        double k64 = 0;
        for (int K : new int[] {3, 6, 64}) {
            double rate = manifestRowsPerSecond(K, seconds);
            System.out.printf(
                    Locale.ROOT, "manifest  K=%-3d %,14.0f rows/s  (%.2f µs per step)%n", K, rate, 256e6 / rate);
            if (K == 64) k64 = rate;
        }
        for (int K : new int[] {6, 64}) {
            for (String name :
                    new String[] {"mix", "temperature", "round-robin", "random", "pike", "fair-pike", "conceptual-pike"
                    })
                System.out.printf(
                        Locale.ROOT,
                        "update+composition K=%-3d %-16s %10.3f µs%n",
                        K,
                        name,
                        updateMicros(name, K, seconds / 4));
        }
        System.out.printf(
                Locale.ROOT,
                "estimator K=6, 2 micro-batches, 10 tensors x 100k floats: %.2f ns per coordinate per micro-batch (incl. pairwise dots)%n",
                estimatorNanos(seconds));
        System.out.println("(checksum " + sink + ")");
        System.out.printf(Locale.ROOT, "RESULT rows_per_s_k64=%.0f%n", k64);
    }

    static MixConfig config(int K) {
        var domains = new ArrayList<DomainRows>();
        var rnd = new SplittableRandom(K);
        for (int k = 0; k < K; k++) {
            var shards = new long[1000];
            for (int s = 0; s < shards.length; s++) shards[s] = 900_000L + rnd.nextInt(200_001);
            domains.add(new DomainRows("d" + k, shards));
        }
        return new MixConfig(domains, 256, 1337, Rounding.CARRY, 1000);
    }

    static double[] dirichlet(int K, long seed) {
        var rnd = new SplittableRandom(seed);
        var w = new double[K];
        double s = 0;
        for (int k = 0; k < K; k++) s += w[k] = -Math.log(1 - rnd.nextDouble());
        for (int k = 0; k < K; k++) w[k] /= s;
        return w;
    }

    static double manifestRowsPerSecond(int K, double seconds) {
        var mixer = new Mixer(config(K), Strategies.fixed(dirichlet(K, 42)));
        for (int i = 0; i < 20_000; i++) sink += mixer.next().row()[0]; // warm-up (JIT)
        long rows = 0, start = System.nanoTime(), end = start + (long) (seconds * 1e9), now;
        do {
            for (int i = 0; i < 256; i++) {
                StepManifest m = mixer.next();
                sink += m.shardRow()[m.size() - 1];
                rows += m.size();
            }
        } while ((now = System.nanoTime()) < end);
        return rows / ((now - start) / 1e9);
    }

    static double updateMicros(String name, int K, double seconds) {
        Strategy s = Strategies.byName(
                name,
                K,
                null,
                longs(K),
                Strategies.DEFAULT_ALPHA,
                PikeParams.defaults(256),
                ConceptualParams.defaults(256),
                7);
        List<DomainStats> stats = new ArrayList<>();
        var rnd = new SplittableRandom(3);
        for (int i = 0; i < 64; i++) {
            double[] n = new double[K], v = new double[K], l = new double[K];
            for (int k = 0; k < K; k++) {
                n[k] = rnd.nextDouble(0.1, 3);
                v[k] = rnd.nextDouble(10, 2000);
                l[k] = rnd.nextDouble(2, 5);
            }
            stats.add(new DomainStats(n, v, l));
        }
        double[] w = s.initialWeights();
        long calls = 0, start = System.nanoTime(), end = start + (long) (seconds * 1e9), now;
        do {
            for (int i = 0; i < 64; i++) {
                w = s.update(w, stats.get(i));
                w = s.composition(calls + i, w) == w ? w : s.initialWeights();
            }
            calls += 64;
        } while ((now = System.nanoTime()) < end);
        sink += Double.doubleToLongBits(w[0]);
        return (now - start) / 1e3 / calls;
    }

    static long[] longs(int K) {
        var n = new long[K];
        for (int k = 0; k < K; k++) n[k] = 1_000_000L * (k + 1);
        return n;
    }

    /** One statistics step of a 1M-parameter model in 10 tensors of 100k floats, K = 6 domains, 2 micro-batches each. */
    static double estimatorNanos(double seconds) {
        int K = 6, tensors = 10, len = 100_000;
        var g = new float[2][len];
        var rnd = new SplittableRandom(1);
        for (float[] row : g) for (int j = 0; j < len; j++) row[j] = (float) rnd.nextDouble();
        long coords = 0, start = System.nanoTime(), end = start + (long) (seconds * 1e9), now;
        do {
            var acc = new GradientStatsAccumulator(new int[] {2, 2, 2, 2, 2, 2}, new int[] {4, 4, 4, 4, 4, 4});
            for (int t = 0; t < tensors; t++) {
                for (int k = 0; k < K; k++) {
                    acc.add(k, 0, g[0]);
                    acc.add(k, 1, g[1]);
                }
                acc.endTensor();
            }
            sink += Double.doubleToLongBits(acc.finish(null).gradVar()[0]);
            coords += 2L * K * tensors * len;
        } while ((now = System.nanoTime()) < end);
        return (now - start) / (double) coords;
    }
}
