package io.pikemix.mixer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.*;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Property tests (jqwik) of the mixer's invariants over random weights, statistics, batch sizes, row counts,
 * seeds and worker counts. Try counts are bounded so the whole class runs in a few seconds; a failure prints the
 * seed and the shrunk counterexample (rerun with {@code jqwik.seeds.whenfixed}/the printed seed to reproduce).
 */
class MixerPropertiesTest {

    // ---- generators ---------------------------------------------------------------------------------------

    /** Positive weights over 1..8 domains, spread over 12 orders of magnitude (not normalised). */
    @Provide
    Arbitrary<double[]> weights() {
        return Arbitraries.doubles()
                .between(-12, 0)
                .map(e -> Math.pow(10, e))
                .list()
                .ofMinSize(1)
                .ofMaxSize(8)
                .map(l -> l.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Weights where some domains (not all) are exactly 0, as an operator's pin can make them. */
    @Provide
    Arbitrary<double[]> weightsWithZeros() {
        return weights()
                .flatMap(w -> Arbitraries.integers()
                        .between(0, (1 << w.length) - 1)
                        .map(mask -> {
                            double[] v = w.clone();
                            for (int k = 0; k < v.length; k++) if ((mask >> k & 1) == 1) v[k] = 0;
                            if (Arrays.stream(v).sum() == 0) v[0] = w[0];
                            return v;
                        }));
    }

    /** Valid statistics for K domains: ‖∇L‖² in [1e-10, 1e6], σ² in [1e-8, 1e8], loss in [0, 30]. */
    static DomainStats stats(SplittableRandom rnd, int K) {
        double[] n = new double[K], v = new double[K], loss = new double[K];
        for (int k = 0; k < K; k++) {
            n[k] = Math.pow(10, rnd.nextDouble(-10, 6));
            v[k] = Math.pow(10, rnd.nextDouble(-8, 8));
            loss[k] = rnd.nextDouble(0, 30);
        }
        return new DomainStats(n, v, loss);
    }

    static List<DomainRows> domains(SplittableRandom rnd, int K) {
        var out = new ArrayList<DomainRows>();
        for (int k = 0; k < K; k++) {
            long[] shards = new long[1 + rnd.nextInt(3)];
            for (int s = 0; s < shards.length; s++) shards[s] = rnd.nextInt(40);
            if (Arrays.stream(shards).sum() == 0) shards[0] = 1L + rnd.nextInt(60);
            out.add(new DomainRows("d" + k, shards));
        }
        return out;
    }

    static Strategy strategy(String name, int K, SplittableRandom rnd, int b, long seed) {
        double[] prior = new double[K];
        long[] tokens = new long[K];
        for (int k = 0; k < K; k++) {
            prior[k] = rnd.nextDouble(0.01, 1);
            tokens[k] = 1 + rnd.nextLong(1L << 40);
        }
        return Strategies.byName(
                name,
                K,
                prior,
                tokens,
                Strategies.DEFAULT_ALPHA,
                PikeParams.defaults(b),
                ConceptualParams.defaults(b),
                seed);
    }

    static void assertSimplex(double[] w, int K, String what) {
        assertEquals(K, w.length, what);
        double sum = 0;
        for (int k = 0; k < K; k++) {
            assertTrue(
                    Double.isFinite(w[k]) && w[k] >= 0,
                    what + ": w[" + k + "] = " + w[k] + " in " + Arrays.toString(w));
            sum += w[k];
        }
        assertEquals(1.0, sum, 1e-9, what + ": sums to " + sum + ": " + Arrays.toString(w));
    }

    // ---- properties ---------------------------------------------------------------------------------------

    /** Every strategy, fed random valid statistics five times in a row, keeps its weights on the simplex. */
    @Property(tries = 300)
    void everyStrategyReturnsASimplex(
            @ForAll @IntRange(min = 1, max = 8) int K,
            @ForAll @IntRange(min = 1, max = 4096) int b,
            @ForAll long seed,
            @ForAll("strategyNames") String name) {
        var rnd = new SplittableRandom(seed);
        Strategy s = strategy(name, K, rnd, b, seed);
        double[] w = s.initialWeights();
        assertSimplex(w, K, name + " initial");
        for (int i = 0; i < 5; i++) {
            double[] epochs = new double[K];
            for (int k = 0; k < K; k++) epochs[k] = rnd.nextDouble(0, 20);
            w = s.update(w, stats(rnd, K), epochs);
            assertSimplex(w, K, name + " after update " + i);
            assertSimplex(s.composition(rnd.nextLong(1L << 40), w), K, name + " composition");
        }
    }

    @Provide
    Arbitrary<String> strategyNames() {
        return Arbitraries.of(Strategies.NAMES);
    }

    /** PiKE and Fair-PiKE from arbitrary (tiny, lopsided) starting weights stay on the simplex. */
    @Property(tries = 200)
    void pikeFamilyKeepsAnyStartOnTheSimplex(@ForAll("weights") double[] start, @ForAll long seed) {
        var rnd = new SplittableRandom(seed);
        int K = start.length;
        for (Strategy s : List.of(
                Strategies.pike(start, PikeParams.defaults(256)),
                Strategies.fairPike(start, PikeParams.defaults(256)),
                Strategies.conceptualPike(start, ConceptualParams.defaults(256)))) {
            double[] w = s.initialWeights();
            for (int i = 0; i < 3; i++) {
                w = s.update(w, stats(rnd, K));
                assertSimplex(w, K, s.name());
            }
        }
    }

    /**
     * With constant weights and carried remainders every step has exactly b rows, and after every step t each
     * domain's cumulative rows are within one row of its cumulative share t·b·w_k (Apportion's invariant);
     * per-step rounding gives floor(b·w_k) or ceil(b·w_k) rows. Checked through the Mixer's manifests.
     */
    @Property(tries = 200)
    void roundingSumsToBAndTracksTheCumulativeShare(
            @ForAll("weightsWithZeros") double[] prior,
            @ForAll @IntRange(min = 1, max = 600) int b,
            @ForAll long seed) {
        var rnd = new SplittableRandom(seed);
        int K = prior.length;
        for (Rounding rounding : Rounding.values()) {
            var config = new MixConfig(domains(rnd, K), b, seed, rounding, 7);
            var mixer = new Mixer(config, Strategies.fixed(prior));
            double[] w = mixer.weights();
            double sum = Arrays.stream(prior).sum();
            long[] cumulative = new long[K];
            for (int t = 1; t <= 60; t++) {
                StepManifest m = mixer.next();
                assertEquals(b, Arrays.stream(m.counts()).sum(), "step " + m.step() + " sums to b");
                assertEquals(b, m.size());
                for (int k = 0; k < K; k++) {
                    cumulative[k] += m.counts()[k];
                    if (prior[k] == 0) assertEquals(0, m.counts()[k], "zero weight, no rows");
                    if (rounding == Rounding.CARRY) {
                        double share = (double) t * b * prior[k] / sum;
                        assertTrue(
                                Math.abs(cumulative[k] - share) <= 1 + 1e-9,
                                "domain " + k + " after " + t + " steps: " + cumulative[k] + " rows vs share " + share
                                        + " (w = " + Arrays.toString(w) + ")");
                    } else {
                        double exact = b * prior[k] / sum;
                        assertTrue(
                                m.counts()[k] >= Math.floor(exact - 1e-9) && m.counts()[k] <= Math.ceil(exact + 1e-9),
                                "per-step count " + m.counts()[k] + " vs b·w = " + exact);
                    }
                }
            }
        }
    }

    /**
     * Within one epoch of a domain no row is repeated, whatever the weights do (PiKE updates them at every
     * report), and every row lies in the domain; a completed epoch has used every row exactly once.
     */
    @Property(tries = 100)
    void manifestsNeverRepeatARowWithinAnEpoch(
            @ForAll @IntRange(min = 1, max = 6) int K,
            @ForAll @IntRange(min = 1, max = 200) int b,
            @ForAll long seed,
            @ForAll("roundings") Rounding rounding) {
        var rnd = new SplittableRandom(seed);
        var config = new MixConfig(domains(rnd, K), b, seed, rounding, 1 + rnd.nextInt(4));
        var mixer = new Mixer(config, strategy(rnd.nextBoolean() ? "pike" : "random", K, rnd, b, seed));
        long[] n = config.sequences(), positions = new long[K];
        var seen = new ArrayList<Map<Long, Set<Long>>>();
        for (int k = 0; k < K; k++) seen.add(new HashMap<>());
        for (int t = 0; t < 40; t++) {
            StepManifest m = mixer.next();
            for (int j = 0; j < m.size(); j++) {
                int k = m.domain()[j];
                long row = m.row()[j];
                assertTrue(row >= 0 && row < n[k], "row " + row + " of domain " + k + " with " + n[k] + " rows");
                long epoch = positions[k]++ / n[k];
                assertTrue(
                        seen.get(k).computeIfAbsent(epoch, e -> new HashSet<>()).add(row),
                        "domain " + k + " repeats row " + row + " in epoch " + epoch + " at step " + t);
            }
            if (mixer.wantsStatistics(m.step())) mixer.report(stats(rnd, K));
        }
        for (int k = 0; k < K; k++)
            for (var e : seen.get(k).entrySet())
                if (e.getKey() < positions[k] / n[k])
                    assertEquals(n[k], e.getValue().size(), "completed epoch covers every row");
    }

    @Provide
    Arbitrary<Rounding> roundings() {
        return Arbitraries.of(Rounding.values());
    }

    /**
     * Saving the state at a random step and continuing in a new Mixer gives exactly the manifests (and weights)
     * of the run that never stopped, with statistics arriving at every step that wants them.
     */
    @Property(tries = 100)
    void resumingAtARandomStepEqualsNotStopping(
            @ForAll @IntRange(min = 1, max = 6) int K,
            @ForAll @IntRange(min = 1, max = 100) int b,
            @ForAll long seed,
            @ForAll @IntRange(min = 0, max = 40) int stopAt,
            @ForAll("strategyNames") String name,
            @ForAll("roundings") Rounding rounding) {
        var rnd = new SplittableRandom(seed);
        var config = new MixConfig(domains(rnd, K), b, seed, rounding, 1 + rnd.nextInt(5));
        long strategySeed = rnd.nextLong();
        Strategy strategy = strategy(name, K, new SplittableRandom(strategySeed), b, seed);
        int steps = 50;
        var straight = new Mixer(config, strategy);
        var expected = new ArrayList<StepManifest>();
        for (int t = 0; t < steps; t++) {
            StepManifest m = straight.next();
            expected.add(m);
            if (straight.wantsStatistics(t)) straight.report(stats(new SplittableRandom(seed ^ t), K));
        }
        Mixer first = new Mixer(config, strategy(name, K, new SplittableRandom(strategySeed), b, seed));
        for (int t = 0; t < stopAt; t++) {
            assertEquals(expected.get(t), first.next());
            if (first.wantsStatistics(t)) first.report(stats(new SplittableRandom(seed ^ t), K));
        }
        assertTrue(first.ready());
        MixerState saved = first.state();
        var resumed = new Mixer(config, strategy(name, K, new SplittableRandom(strategySeed), b, seed), saved);
        for (int t = stopAt; t < steps; t++) {
            assertEquals(expected.get(t), resumed.next(), "step " + t + " after resuming at " + stopAt);
            if (resumed.wantsStatistics(t)) resumed.report(stats(new SplittableRandom(seed ^ t), K));
        }
        assertArrayEquals(straight.weights(), resumed.weights());
    }

    /**
     * For any worker count n (including n > b), the shares j mod n = i of a step partition it in order: every
     * row of the step in exactly one share, each share ⌊b/n⌋ or ⌈b/n⌉ rows and ⌊c_k/n⌋ or ⌈c_k/n⌉ of domain k.
     */
    @Property(tries = 200)
    void sharesPartitionTheStepForAnyWorkerCount(
            @ForAll @IntRange(min = 1, max = 6) int K,
            @ForAll @IntRange(min = 1, max = 300) int b,
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 400) int workers,
            @ForAll @LongRange(min = 0, max = 20) long skip) {
        var rnd = new SplittableRandom(seed);
        var config = new MixConfig(domains(rnd, K), b, seed, Rounding.CARRY, 3);
        var mixer = new Mixer(config, strategy("pike", K, rnd, b, seed));
        StepManifest m = null;
        for (long t = 0; t <= skip; t++) {
            m = mixer.next();
            if (mixer.wantsStatistics(t)) mixer.report(stats(rnd, K));
        }
        var shares = new StepManifest[workers];
        int total = 0;
        for (int i = 0; i < workers; i++) {
            shares[i] = m.share(i, workers);
            total += shares[i].size();
            assertTrue(
                    shares[i].size() == b / workers || shares[i].size() == (b + workers - 1) / workers, "share size");
            assertEquals(shares[i].size(), Arrays.stream(shares[i].counts()).sum());
            for (int k = 0; k < K; k++) {
                int c = m.counts()[k], got = shares[i].counts()[k];
                assertTrue(
                        got == c / workers || got == (c + workers - 1) / workers,
                        "worker " + i + " of " + workers + " has " + got + " rows of domain " + k + " (step has " + c
                                + ")");
            }
        }
        assertEquals(b, total);
        for (int j = 0; j < m.size(); j++) {
            StepManifest s = shares[j % workers];
            int at = j / workers;
            assertEquals(m.domain()[j], s.domain()[at]);
            assertEquals(m.row()[j], s.row()[at]);
            assertEquals(m.shard()[j], s.shard()[at]);
            assertEquals(m.shardRow()[j], s.shardRow()[at]);
        }
    }
}
