package io.pikemix.mixer;

import static io.pikemix.mixer.PikeUpdateTest.assertOnSimplex;
import static io.pikemix.mixer.PikeUpdateTest.randomSimplex;
import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.UserException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RobustPikeTest {
    static final double EPS = 1e-12;
    static final double INF = Double.POSITIVE_INFINITY;

    /** ζ_g = ζ_v = 1, no floor, a cap that never binds (ρ = 100), no discount: the bare scale-free exponent. */
    static final RobustPikeParams BARE = new RobustPikeParams(1, 1, 0, 100, INF);

    /*
     * Scale-free exponent by hand. w = (1/2, 1/2), G = (3, 1), V = (5, 5):
     *   ĝ = G / mean(G) = (3, 1) / 2 = (1.5, 0.5),   v̂ = (1, 1)
     *   x = ĝ − v̂ = (0.5, −0.5)
     *   w' = (e^{0.5}, e^{−0.5}) / (e^{0.5} + e^{−0.5}) = (1, e^{−1}) / (1 + e^{−1})
     * Multiplying G by 10⁹ (another model size or phase) or V by 10⁻⁹ (another batch size) changes nothing.
     */
    @Test
    void step_handWorkedScaleFreeExponent() {
        double[] w = {0.5, 0.5};
        double e = Math.exp(-1);
        double[] expected = {1 / (1 + e), e / (1 + e)};
        assertArrayEquals(expected, RobustPike.step(w, new double[] {3, 1}, new double[] {5, 5}, null, BARE), EPS);
        assertArrayEquals(
                expected, RobustPike.step(w, new double[] {3e9, 1e9}, new double[] {5e-9, 5e-9}, null, BARE), EPS);
    }

    /*
     * The same statistics with the cap ρ = 1.2 (the default): the full step would move w_2 from 1/2 to 0.269, a
     * factor 1.86. The binding side is the falling weight: w_2' = (1/2)/1.2 = 5/12, so w_1' = 7/12, whose ratio
     * 7/6 = 1.167 is within 1.2.
     */
    @Test
    void step_handWorkedCapBindsOnTheFallingWeight() {
        var p = new RobustPikeParams(1, 1, 0, 1.2, INF);
        double[] out = RobustPike.step(new double[] {0.5, 0.5}, new double[] {3, 1}, new double[] {5, 5}, null, p);
        assertArrayEquals(new double[] {7.0 / 12, 5.0 / 12}, out, 1e-12);
    }

    /*
     * Repetition discount by hand: identical statistics G = (1, 1), V = (1, 1); domain 2 is in its second epoch,
     * e = (0.5, 1 + ln 2) with R* = 1, so d = (1, e^{−ln 2}) = (1, 1/2):
     *   ĝ = (1, 1/2) / (3/4) = (4/3, 2/3),   v̂ = (1, 1),   x = (1/3, −1/3)
     *   w' = (e^{1/3}, e^{−1/3}) / Σ = (1, e^{−2/3}) / (1 + e^{−2/3})
     */
    @Test
    void step_handWorkedRepetitionDiscount() {
        var p = new RobustPikeParams(1, 1, 0, 100, 1);
        double[] out = RobustPike.step(
                new double[] {0.5, 0.5},
                new double[] {1, 1},
                new double[] {1, 1},
                new double[] {0.5, 1 + Math.log(2)},
                p);
        double e = Math.exp(-2.0 / 3);
        assertArrayEquals(new double[] {1 / (1 + e), e / (1 + e)}, out, EPS);
    }

    @Test
    void step_weightsStayOnSimplexForRandomStatistics() {
        var rnd = new SplittableRandom(11);
        for (int trial = 0; trial < 3000; trial++) {
            int K = 1 + rnd.nextInt(12);
            var p = randomParams(rnd);
            double[] w = randomSimplex(rnd, K), g = new double[K], v = new double[K], e = new double[K];
            for (int k = 0; k < K; k++) {
                g[k] = rnd.nextInt(5) == 0 ? 0 : Math.exp(rnd.nextDouble(-300, 300)) * (rnd.nextInt(8) == 0 ? -1 : 1);
                v[k] = rnd.nextInt(5) == 0 ? 0 : Math.exp(rnd.nextDouble(-300, 300));
                e[k] = rnd.nextDouble(0, 50);
            }
            double[] out = RobustPike.step(w, g, v, e, p);
            assertOnSimplex(out);
            for (double x : out)
                assertTrue(x >= p.minWeight(K) * (1 - 1e-12), "floor " + p.minWeight(K) + ", got " + x);
        }
    }

    /* Zeros, the largest and smallest doubles, and one domain's statistics 10⁶× the others', each from a floored start. */
    @Test
    void step_weightsStayOnSimplexForAdversarialStatistics() {
        var p = RobustPikeParams.defaults();
        double big = Double.MAX_VALUE, tiny = Double.MIN_VALUE;
        double[][][] cases = {
            {{0, 0, 0}, {0, 0, 0}},
            {{big, big, big}, {big, big, big}},
            {{tiny, 0, big}, {big, tiny, 0}},
            {{1e6, 1, 1}, {1, 1, 1}},
            {{1, 1, 1}, {1e6, 1, 1}},
            {{1e6, 1, 1}, {1e6, 1, 1}},
            {{-5, 0, 1e-300}, {1e300, 1e300, 0}},
        };
        double[][] starts = {{1.0 / 3, 1.0 / 3, 1.0 / 3}, {0.98, 0.01, 0.01}, {1, 0, 0}};
        for (double[][] c : cases)
            for (double[] w : starts)
                for (double[] e : new double[][] {null, {0, 0, 0}, {1e6, 0, 3}}) {
                    double[] out = w;
                    for (int it = 0; it < 50; it++) { // repeated updates with the same statistics
                        out = RobustPike.step(out, c[0], c[1], e, p);
                        assertOnSimplex(out);
                        for (double x : out) assertTrue(x >= p.minWeight(3) * (1 - 1e-12));
                    }
                }
    }

    /*
     * One domain 10⁶× the others: PiKE's raw exponent would be ~10⁶ and put all weight on it at once; here ĝ is at
     * most K = 3, and the cap lets its weight grow by exactly ρ = 1.2 per update.
     */
    @Test
    void step_oneDomainMillionTimesLargerMovesByTheCapOnly() {
        var p = RobustPikeParams.defaults();
        double[] out = RobustPike.step(
                new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3}, new double[] {1e6, 1, 1}, new double[] {1, 1, 1}, null, p);
        assertEquals(1.2 / 3, out[0], 1e-12);
        assertEquals(out[1], out[2], EPS);
        assertEquals((1 - 1.2 / 3) / 2, out[1], 1e-12);
    }

    @Test
    void step_identicalStatisticsKeepTheWeights() {
        var rnd = new SplittableRandom(5);
        for (int trial = 0; trial < 1000; trial++) {
            int K = 1 + rnd.nextInt(10);
            var p = randomParams(rnd);
            double[] w = PikeUpdate.floor(randomSimplex(rnd, K), p.minWeight(K));
            double[] g = new double[K], v = new double[K], e = new double[K];
            java.util.Arrays.fill(g, Math.exp(rnd.nextDouble(-50, 50)));
            java.util.Arrays.fill(v, Math.exp(rnd.nextDouble(-50, 50)));
            java.util.Arrays.fill(e, rnd.nextDouble(0, 20));
            assertArrayEquals(w, RobustPike.step(w, g, v, e, p), EPS);
            assertArrayEquals(w, RobustPike.step(w, g, v, null, p), EPS);
        }
    }

    /* Every w'_k / w⁰_k in [1/ρ, ρ] (w⁰ = the floored start); and the cap binds in many trials, so the check bites. */
    @Test
    void step_neverExceedsTheRatioCap() {
        var rnd = new SplittableRandom(17);
        int binding = 0;
        for (int trial = 0; trial < 3000; trial++) {
            int K = 2 + rnd.nextInt(10);
            var p = randomParams(rnd);
            double[] w0 = PikeUpdate.floor(randomSimplex(rnd, K), p.minWeight(K));
            double[] g = new double[K], v = new double[K], e = new double[K];
            for (int k = 0; k < K; k++) {
                g[k] = Math.exp(rnd.nextDouble(-30, 30));
                v[k] = Math.exp(rnd.nextDouble(-30, 30));
                e[k] = rnd.nextDouble(0, 10);
            }
            double[] out = RobustPike.step(w0, g, v, e, p);
            double maxLog = 0;
            for (int k = 0; k < K; k++) {
                double r = out[k] / w0[k];
                assertTrue(
                        r <= p.maxRatio() * (1 + 1e-12) && r >= 1 / p.maxRatio() * (1 - 1e-12),
                        "ratio " + r + " outside the cap " + p.maxRatio());
                maxLog = Math.max(maxLog, Math.abs(Math.log(r)));
            }
            if (maxLog > Math.log(p.maxRatio()) * (1 - 1e-6)) binding++;
        }
        assertTrue(binding > 500, "cap binding in " + binding + " of 3000 trials");
    }

    /* A domain re-read with unchanged statistics loses weight at every update; within its first epoch it does not. */
    @Test
    void step_discountLowersTheWeightOfARereadDomain() {
        var p = RobustPikeParams.defaults();
        double[] g = {2, 2, 2}, v = {7, 7, 7};
        double[] w = {1.0 / 3, 1.0 / 3, 1.0 / 3};
        assertArrayEquals(
                w, RobustPike.step(w, g, v, new double[] {0.2, 0.99, 0.5}, p), EPS, "first epoch: no discount");
        double last = w[1];
        for (int update = 1; update <= 10; update++) {
            w = RobustPike.step(w, g, v, new double[] {0.5, 1 + update, 0.5}, p);
            assertTrue(w[1] < last, "update " + update + ": " + w[1] + " not below " + last);
            assertEquals(w[0], w[2], EPS);
            last = w[1];
        }
        assertTrue(last < 0.2, "after 10 updates " + last);
    }

    /* Through the mixer: domain "small" (10 rows) passes its first epoch at step 2; constant statistics after that. */
    @Test
    void mixer_reportPassesEpochsConsumedSoASmallDomainLosesWeight() {
        var config = new MixConfig(
                List.of(new DomainRows("small", new long[] {10}), new DomainRows("big", new long[] {1000})),
                10,
                1,
                Rounding.CARRY,
                1);
        var mixer = new Mixer(
                config,
                Strategies.byName(
                        "robust-pike:shrink=0,anchor=initial", 2, null, null, 0.3, PikeParams.defaults(10), null, 1));
        var stats = new DomainStats(new double[] {1, 1}, new double[] {1, 1}, null);
        mixer.next();
        mixer.report(stats); // small: 5 of 10 rows read, e = 0.5
        assertArrayEquals(new double[] {0.5, 0.5}, mixer.weights(), EPS);
        mixer.next();
        mixer.report(stats); // e = 1.0: the first epoch is complete, d = 1
        assertArrayEquals(new double[] {0.5, 0.5}, mixer.weights(), EPS);
        for (int t = 2; t < 30; t++) {
            mixer.next();
            mixer.report(stats);
        }
        assertTrue(mixer.state().epochsConsumed(config.sequences())[0] > 2);
        assertTrue(mixer.weights()[0] < 0.2, "small domain's weight " + mixer.weights()[0]);
        assertTrue(mixer.weights()[0] >= 0.1 / 2 * (1 - 1e-12), "floor");
    }

    /* e_k = epochs_k + positions_k / rows_k by hand: (2 + 5/10, 0 + 250/1000). */
    @Test
    void epochsConsumed_handWorked() {
        var s = new MixerState(1, 9, new double[] {0.5, 0.5}, new double[2], new long[] {2, 0}, new long[] {5, 250});
        assertArrayEquals(new double[] {2.5, 0.25}, s.epochsConsumed(new long[] {10, 1000}), EPS);
    }

    /*
     * Held-out signal on synthetic gradients with known mean μ ∈ R⁸, μ_c = 1/2 (‖μ‖² = 2): m = 2 training and
     * m' = 2 held-out micro-batch gradients μ + N(0, I), so t̄, h̄ ~ μ + N(0, I/2). Then
     *   ŝ = ⟨t̄, h̄⟩:  E ŝ = ‖μ‖² = 2,   Var ŝ = 2·‖μ‖²·(1/2) + 8·(1/2)² = 4            (SD 2)
     *   ‖t̄‖²:       E = ‖μ‖² + 8/2 = 6 (biased),   Var = 4‖μ‖²(1/2) + 2·8·(1/2)² = 8
     * Over N = 40,000 seeded trials the means have standard errors 0.010 and 0.014; tolerance 4 standard
     * errors: |mean ŝ − 2| ≤ 0.04 and |mean ‖t̄‖² − 6| ≤ 0.057. When the training rows are memorised (their
     * gradients have mean 0), E ŝ = 0: |mean| ≤ 4·SE = 4·√(8·(1/2)²)/200 = 0.028.
     */
    @Test
    void heldOutSignal_unbiasedForGradNormSqOnFreshData_andZeroWhenMemorised() {
        var rnd = new SplittableRandom(2024);
        int N = 40_000, d = 8;
        double[] mu = new double[d], zero = new double[d];
        java.util.Arrays.fill(mu, 0.5);
        double sumSignal = 0, sumNaive = 0, sumMemorised = 0;
        for (int i = 0; i < N; i++) {
            double[][] train = draws(rnd, mu, 2), heldOut = draws(rnd, mu, 2), seen = draws(rnd, zero, 2);
            sumSignal += RobustPike.heldOutSignal(train, heldOut);
            sumNaive += RobustPike.heldOutSignal(train, train); // ⟨t̄, t̄⟩ = ‖t̄‖²
            sumMemorised += RobustPike.heldOutSignal(seen, heldOut);
        }
        assertEquals(2, sumSignal / N, 0.04);
        assertEquals(6, sumNaive / N, 0.057);
        assertEquals(0, sumMemorised / N, 0.028);
    }

    /* ⟨t̄, h̄⟩ by hand: t̄ = ((1,2) + (3,4))/2 = (2,3), h̄ = (1,−1): 2 − 3 = −1. */
    @Test
    void heldOutSignal_handWorked() {
        assertEquals(-1, RobustPike.heldOutSignal(new double[][] {{1, 2}, {3, 4}}, new double[][] {{1, -1}}), EPS);
        assertThrows(
                UserException.class, () -> RobustPike.heldOutSignal(new double[][] {{1, 2}}, new double[][] {{1}}));
    }

    /*
     * The pull towards the anchor by hand: identical statistics (x = 0), w⁰ = (1/2, 1/2), a = (0.8, 0.2), λ = 1/2,
     * no floor, no binding cap: y = ½ ln(a/w⁰) = ½ (ln 1.6, ln 0.4), so w' ∝ (√1.6, √0.4) = √0.4·(2, 1) ⇒ (2/3, 1/3).
     */
    @Test
    void step_handWorkedPullTowardsTheAnchor() {
        var p = new RobustPikeParams(1, 1, 0, 100, INF, 0.5, RobustPikeParams.ANCHOR_INITIAL);
        double[] out = RobustPike.step(
                new double[] {0.5, 0.5}, new double[] {1, 1}, new double[] {1, 1}, null, new double[] {0.8, 0.2}, p);
        assertArrayEquals(new double[] {2.0 / 3, 1.0 / 3}, out, EPS);
    }

    /*
     * The pull turns the random walk into an average: constant exponents x = (1/2, −1/2) (G = (3, 1), V = (5, 5),
     * ζ = 1) and λ = 1/2 converge to the fixed point ln(w/a) = x/λ + c, i.e. w* ∝ a ⊙ (e, e^{−1}), instead of
     * drifting to a vertex as the update without a pull does (w_2 → 0 there).
     */
    @Test
    void step_pullMakesConstantExponentsConvergeNearTheAnchor() {
        double[] a = {0.3, 0.7};
        var p = new RobustPikeParams(1, 1, 0, 100, INF, 0.5, RobustPikeParams.ANCHOR_INITIAL);
        double[] w = a.clone(), free = a.clone();
        for (int t = 0; t < 200; t++) {
            w = RobustPike.step(w, new double[] {3, 1}, new double[] {5, 5}, null, a, p);
            free = RobustPike.step(free, new double[] {3, 1}, new double[] {5, 5}, null, null, p);
        }
        double z = 0.3 * Math.E + 0.7 / Math.E;
        assertArrayEquals(new double[] {0.3 * Math.E / z, 0.7 / Math.E / z}, w, 1e-9);
        assertTrue(free[1] < 1e-30, "without the pull the weight drifts away: " + free[1]);
    }

    /* At the anchor, identical statistics keep the weights, whatever λ; on the simplex and within the cap for random anchors. */
    @Test
    void step_withAnchorStaysOnSimplexWithinTheCapAndKeepsTheAnchor() {
        var rnd = new SplittableRandom(23);
        for (int trial = 0; trial < 2000; trial++) {
            int K = 2 + rnd.nextInt(10);
            var b = randomParams(rnd);
            var p = new RobustPikeParams(
                    b.signal(),
                    b.noise(),
                    b.floorShare(),
                    b.maxRatio(),
                    b.repeatEpochs(),
                    rnd.nextDouble(0, 1),
                    RobustPikeParams.ANCHOR_INITIAL);
            double[] a = PikeUpdate.floor(randomSimplex(rnd, K), p.minWeight(K));
            double[] same = new double[K];
            java.util.Arrays.fill(same, Math.exp(rnd.nextDouble(-20, 20)));
            assertArrayEquals(a, RobustPike.step(a, same, same, null, a, p), EPS);
            double[] w0 = PikeUpdate.floor(randomSimplex(rnd, K), p.minWeight(K));
            double[] g = new double[K], v = new double[K];
            for (int k = 0; k < K; k++) {
                g[k] = rnd.nextInt(6) == 0 ? 0 : Math.exp(rnd.nextDouble(-30, 30));
                v[k] = Math.exp(rnd.nextDouble(-30, 30));
            }
            double[] anchor = rnd.nextInt(4) == 0 ? Baselines.oneHot(rnd.nextInt(K), K) : a; // a zero in the anchor too
            double[] out = RobustPike.step(w0, g, v, null, anchor, p);
            assertOnSimplex(out);
            for (int k = 0; k < K; k++) {
                assertTrue(out[k] >= p.minWeight(K) * (1 - 1e-12));
                double r = out[k] / w0[k];
                assertTrue(r <= p.maxRatio() * (1 + 1e-12) && r >= 1 / p.maxRatio() * (1 - 1e-12), "ratio " + r);
            }
        }
    }

    /* The default strategy starts from and pulls towards temperature sampling (α = 0.3), which needs token counts. */
    @Test
    void strategy_defaultStartsAtTheTemperatureAnchor() {
        long[] tokens = {1_000_000, 1_000};
        Strategy s = Strategies.byName("robust-pike", 2, null, tokens, 0.3, PikeParams.defaults(8), null, 1);
        double r = Math.pow(1000, 0.3); // (10⁶/10³)^0.3 = 10^0.9
        assertArrayEquals(new double[] {r / (r + 1), 1 / (r + 1)}, s.initialWeights(), EPS);
        var stats = new DomainStats(new double[] {2, 2}, new double[] {5, 5}, null);
        assertArrayEquals(s.initialWeights(), s.update(s.initialWeights(), stats), EPS);
        var e = assertThrows(
                UserException.class,
                () -> Strategies.byName("robust-pike", 2, null, null, 0.3, PikeParams.defaults(8), null, 1));
        assertTrue(e.getMessage().contains("token counts"), e.getMessage());
    }

    /* anchor=token: starts at and is pulled towards token-proportional weights n_k / Σ n (1:3 here), keeps them under
    identical statistics, round-trips its spec, and like the temperature anchor refuses to run without token counts. */
    @Test
    void tokenAnchor_startsAtAndKeepsTokenProportionalWeights() {
        long[] tokens = {1_000, 3_000};
        Strategy s =
                Strategies.byName("robust-pike:anchor=token", 2, null, tokens, 0.3, PikeParams.defaults(8), null, 1);
        assertArrayEquals(new double[] {0.25, 0.75}, s.initialWeights(), EPS);
        var stats = new DomainStats(new double[] {2, 2}, new double[] {5, 5}, null);
        assertArrayEquals(new double[] {0.25, 0.75}, s.update(s.initialWeights(), stats), EPS);
        var p = RobustPikeParams.parse("robust-pike:anchor=token,heldout=64,repeat=Infinity");
        assertEquals(RobustPikeParams.ANCHOR_TOKEN, p.anchor());
        assertEquals("robust-pike:repeat=Infinity,anchor=token,heldout=64", p.spec());
        assertEquals(p, RobustPikeParams.parse(p.spec()));
        var e = assertThrows(
                UserException.class,
                () -> Strategies.byName(
                        "robust-pike:anchor=token", 2, null, null, 0.3, PikeParams.defaults(8), null, 1));
        assertTrue(e.getMessage().contains("token anchor needs the domains' token counts"), e.getMessage());
    }

    @Test
    void params_specRoundTripsAndRejectsUnknownKeys() {
        assertEquals("robust-pike", RobustPikeParams.defaults().spec());
        var p = new RobustPikeParams(0.5, 0.25, 0.2, 1.5, INF);
        assertEquals("robust-pike:signal=0.5,floor=0.2,ratio=1.5,repeat=Infinity,shrink=0,anchor=initial", p.spec());
        assertEquals(p, RobustPikeParams.parse(p.spec()));
        assertEquals(RobustPikeParams.defaults(), RobustPikeParams.parse("robust-pike"));
        assertThrows(UserException.class, () -> RobustPikeParams.parse("robust-pike:speed=2"));
        assertThrows(UserException.class, () -> RobustPikeParams.parse("robust-pike:ratio=fast"));
        assertThrows(UserException.class, () -> RobustPikeParams.parse("robust-pike:ratio=0.5"));
        assertThrows(UserException.class, () -> RobustPikeParams.parse("robust-pike:anchor=best"));
        assertThrows(UserException.class, () -> RobustPikeParams.parse("robust-pike:shrink=2"));
        var q = RobustPikeParams.parse("robust-pike:shrink=0.5,anchor=initial");
        assertEquals(0.5, q.shrink());
        assertEquals("robust-pike:shrink=0.5,anchor=initial", q.spec());
        assertEquals(
                "robust-pike",
                Strategies.byName(p.spec(), 2, null, null, 0.3, PikeParams.defaults(8), null, 1)
                        .name());
    }

    /* The Adam metric knob: off by default, named metric=adam in the spec (after the other knobs), read back, and only
    sgd or adam accepted; the trainer's switch is RobustPikeParams.adamMetric(strategy), false for other strategies. */
    @Test
    void params_metricKnobRoundTrips() {
        assertEquals(RobustPikeParams.METRIC_SGD, RobustPikeParams.defaults().metric());
        assertFalse(RobustPikeParams.defaults().adamMetric());
        var p = RobustPikeParams.parse("robust-pike:metric=adam");
        assertTrue(p.adamMetric());
        assertEquals("robust-pike:metric=adam", p.spec());
        var q = RobustPikeParams.parse("robust-pike:metric=adam,shrink=0.5,heldout=8");
        assertEquals("robust-pike:shrink=0.5,heldout=8,metric=adam", q.spec());
        assertEquals(q, RobustPikeParams.parse(q.spec()));
        assertEquals(RobustPikeParams.defaults(), RobustPikeParams.parse("robust-pike:metric=sgd"));
        var e = assertThrows(UserException.class, () -> RobustPikeParams.parse("robust-pike:metric=adamw"));
        assertTrue(e.getMessage().contains("--robust-metric"), e.getMessage());
        assertTrue(RobustPikeParams.adamMetric("robust-pike:metric=adam"));
        assertFalse(RobustPikeParams.adamMetric("robust-pike"));
        assertFalse(RobustPikeParams.adamMetric("pike"));
        assertEquals(
                "robust-pike",
                Strategies.byName(p.spec(), 2, null, new long[] {10, 20}, 0.3, PikeParams.defaults(8), null, 1)
                        .name());
    }

    @Test
    void step_rejectsNonFiniteStatistics() {
        var p = RobustPikeParams.defaults();
        double[] w = {0.5, 0.5};
        assertThrows(
                UserException.class, () -> RobustPike.step(w, new double[] {INF, 1}, new double[] {1, 1}, null, p));
        assertThrows(
                UserException.class,
                () -> RobustPike.step(w, new double[] {1, 1}, new double[] {Double.NaN, 1}, null, p));
        assertThrows(
                UserException.class,
                () -> RobustPike.step(w, new double[] {1, 1}, new double[] {1, 1}, new double[] {-1, 0}, p));
    }

    static double[][] draws(SplittableRandom rnd, double[] mean, int m) {
        var out = new double[m][mean.length];
        for (double[] r : out) for (int c = 0; c < mean.length; c++) r[c] = mean[c] + gaussian(rnd);
        return out;
    }

    static double gaussian(SplittableRandom rnd) { // Box–Muller
        double u = 1 - rnd.nextDouble(), v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    static RobustPikeParams randomParams(SplittableRandom rnd) {
        return new RobustPikeParams(
                rnd.nextDouble(0, 3),
                rnd.nextDouble(0, 3),
                rnd.nextDouble(0, 1),
                1 + rnd.nextDouble(0, 2),
                rnd.nextInt(4) == 0 ? INF : rnd.nextDouble(0.1, 20));
    }
}
