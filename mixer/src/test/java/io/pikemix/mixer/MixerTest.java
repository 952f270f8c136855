package io.pikemix.mixer;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.UserException;
import java.util.*;
import org.junit.jupiter.api.Test;

class MixerTest {
    /** Three small domains (37, 50 and 13 rows; one with an empty shard) so epochs roll over quickly. */
    static MixConfig smallConfig(Rounding rounding) {
        return new MixConfig(
                List.of(
                        new DomainRows("web", new long[] {20, 0, 17}),
                        new DomainRows("code", new long[] {50}),
                        new DomainRows("books", new long[] {5, 8})),
                16,
                1337,
                rounding,
                5);
    }

    static DomainStats syntheticStats(long step, int K) {
        var rnd = new SplittableRandom(step);
        double[] n = new double[K], v = new double[K];
        for (int k = 0; k < K; k++) {
            n[k] = rnd.nextDouble(0.5, 3);
            v[k] = rnd.nextDouble(10, 400);
        }
        return new DomainStats(n, v, null);
    }

    @Test
    void manifest_exactCountsPerStepAndRowsGroupedByDomain() {
        var mixer = new Mixer(
                smallConfig(Rounding.CARRY), Strategies.pike(new double[] {0.2, 0.5, 0.3}, PikeParams.defaults(16)));
        for (int t = 0; t < 200; t++) {
            StepManifest m = mixer.next();
            assertEquals(t, m.step());
            assertEquals(16, m.size());
            var seen = new int[3];
            int last = 0;
            for (int j = 0; j < m.size(); j++) {
                assertTrue(m.domain()[j] >= last, "grouped by domain");
                last = m.domain()[j];
                seen[m.domain()[j]]++;
            }
            assertArrayEquals(m.counts(), seen);
            if (mixer.wantsStatistics(t)) mixer.report(syntheticStats(t, 3));
        }
    }

    /* Per domain and epoch: no row repeated, and every row of the domain used once the epoch is complete. */
    @Test
    void manifest_noRowRepeatedWithinEpochAndAllRowsCovered() {
        var config = smallConfig(Rounding.CARRY);
        var mixer = new Mixer(config, Strategies.mix(3));
        var perEpoch = new ArrayList<Map<Long, Set<Long>>>();
        var positions = new long[3];
        for (int k = 0; k < 3; k++) perEpoch.add(new HashMap<>());
        long[] n = config.sequences();
        for (int t = 0; t < 100; t++) {
            StepManifest m = mixer.next();
            for (int j = 0; j < m.size(); j++) {
                int k = m.domain()[j];
                long epoch = positions[k]++ / n[k];
                assertTrue(
                        perEpoch.get(k)
                                .computeIfAbsent(epoch, e -> new HashSet<>())
                                .add(m.row()[j]),
                        "domain " + k + " repeats row " + m.row()[j] + " in epoch " + epoch);
            }
            for (int k = 0; k < 3; k++) // the epoch of the domain's last row so far (a new epoch starts lazily)
            assertEquals(positions[k] == 0 ? 0 : (positions[k] - 1) / n[k], m.epochs()[k], "epoch recorded");
        }
        for (int k = 0; k < 3; k++) {
            long complete = positions[k] / n[k];
            assertTrue(complete >= 2, "several epochs exercised");
            for (long e = 0; e < complete; e++)
                assertEquals(n[k], perEpoch.get(k).get(e).size(), "epoch covers all rows");
        }
    }

    @Test
    void manifest_shardAndRowMatchPrefixSums() {
        var mixer = new Mixer(smallConfig(Rounding.CARRY), Strategies.mix(3));
        long[][] starts = {{0, 20, 20}, {0}, {0, 5}};
        for (int t = 0; t < 50; t++) {
            StepManifest m = mixer.next();
            for (int j = 0; j < m.size(); j++) {
                int k = m.domain()[j], s = m.shard()[j];
                assertEquals(m.row()[j], starts[k][s] + m.shardRow()[j]);
                assertFalse(k == 0 && s == 1, "empty shard never addressed");
                long[] counts = smallConfig(Rounding.CARRY).domains().get(k).shardRowCounts();
                assertTrue(m.shardRow()[j] < counts[s]);
            }
        }
    }

    @Test
    void manifest_identicalForSameConfigAndSeed_differentForOtherSeed() {
        var a = new Mixer(smallConfig(Rounding.CARRY), Strategies.mix(3));
        var b = new Mixer(smallConfig(Rounding.CARRY), Strategies.mix(3));
        var c0 = smallConfig(Rounding.CARRY);
        var c = new Mixer(
                new MixConfig(c0.domains(), c0.batchSize(), 99, c0.rounding(), c0.updateInterval()), Strategies.mix(3));
        boolean differs = false;
        for (int t = 0; t < 20; t++) {
            StepManifest ma = a.next();
            assertEquals(ma, b.next());
            differs |= !ma.equals(c.next());
        }
        assertTrue(differs);
    }

    /* Save the state mid-run while PiKE keeps changing the weights; a resumed mixer gives identical manifests. */
    @Test
    void manifest_identicalAfterResumeWhenWeightsChanged() {
        for (Rounding rounding : Rounding.values()) {
            var config = smallConfig(rounding);
            Strategy pike = Strategies.pike(new double[] {1, 1, 1}, new PikeParams(0.5, 10, 16, 3, 1e-6));
            var full = new Mixer(config, pike);
            var manifests = new ArrayList<StepManifest>();
            MixerState saved = null;
            for (int t = 0; t < 120; t++) {
                if (t == 47) saved = full.state();
                manifests.add(full.next());
                if (full.wantsStatistics(t)) full.report(syntheticStats(t, 3));
            }
            assertFalse(Arrays.equals(full.weights(), pike.initialWeights()), "weights moved");
            var resumed = new Mixer(config, pike, saved);
            for (int t = 47; t < 120; t++) {
                assertEquals(manifests.get(t), resumed.next(), "step " + t);
                if (resumed.wantsStatistics(t)) resumed.report(syntheticStats(t, 3));
            }
            assertEquals(full.state(), resumed.state());
        }
    }

    @Test
    void plan_isPureAndMatchesNext() {
        var mixer = new Mixer(smallConfig(Rounding.CARRY), Strategies.mix(3));
        MixerState s0 = mixer.state();
        Mixer.Planned p1 = mixer.plan(s0), p2 = mixer.plan(s0);
        assertEquals(p1, p2);
        assertEquals(s0, mixer.state());
        assertEquals(p1.manifest(), mixer.next());
        assertEquals(p1.next(), mixer.state());
    }

    /* Worker shares: disjoint, union = the step, sizes ⌊b/n⌋ or ⌈b/n⌉, per-domain counts ⌊c_k/n⌋ or ⌈c_k/n⌉. */
    @Test
    void manifest_workerSharesPartitionTheStep() {
        var mixer = new Mixer(smallConfig(Rounding.CARRY), Strategies.fixed(new double[] {0.6, 0.3, 0.1}));
        for (int t = 0; t < 30; t++) {
            StepManifest m = mixer.next();
            for (int n = 1; n <= 20; n++) {
                var union = new ArrayList<String>();
                for (int w = 0; w < n; w++) {
                    StepManifest share = m.share(w, n);
                    assertTrue(share.size() == m.size() / n || share.size() == (m.size() + n - 1) / n);
                    for (int k = 0; k < 3; k++)
                        assertTrue(Math.abs(share.counts()[k] - m.counts()[k] / (double) n) < 1, "balanced per domain");
                    for (int j = 0; j < share.size(); j++) union.add(share.domain()[j] + ":" + share.row()[j]);
                }
                var expected = new ArrayList<String>();
                for (int j = 0; j < m.size(); j++) expected.add(m.domain()[j] + ":" + m.row()[j]);
                Collections.sort(union);
                Collections.sort(expected);
                assertEquals(expected, union);
            }
        }
        assertThrows(UserException.class, () -> mixer.next().share(3, 3));
    }

    /* b·w_k = 16·0.01 = 0.16 < 1: with carried remainders the domain still gets 0.16 rows per step on average
     * (exactly 16 rows in 100 steps); the paper's per-step round gives it none. */
    @Test
    void manifest_noDomainStarvedWhenWeightBelowOneOverB() {
        double[] w = {0.01, 0.49, 0.5};
        var carry = new Mixer(smallConfig(Rounding.CARRY), Strategies.fixed(w));
        var perStep = new Mixer(smallConfig(Rounding.PER_STEP), Strategies.fixed(w));
        int carried = 0, rounded = 0;
        for (int t = 0; t < 100; t++) {
            carried += carry.next().counts()[0];
            rounded += perStep.next().counts()[0];
        }
        assertEquals(16, carried);
        assertEquals(0, rounded);
    }

    @Test
    void roundRobin_wholeBatchFromTaskTModK() {
        var mixer = new Mixer(smallConfig(Rounding.CARRY), Strategies.roundRobin(3));
        for (int t = 0; t < 12; t++) {
            int[] c = mixer.next().counts();
            var expected = new int[3];
            expected[t % 3] = 16;
            assertArrayEquals(expected, c);
        }
    }

    /* Random: one domain per step; over 6,000 steps the frequencies match p (χ², 2 dof, 0.999 quantile 13.8). */
    @Test
    void random_wholeBatchFromOneTaskWithProbabilitiesP() {
        double[] p = {0.5, 0.3, 0.2};
        var strategy = Strategies.random(p, 77);
        var hits = new int[3];
        int steps = 6000;
        for (long t = 0; t < steps; t++) {
            double[] w = strategy.composition(t, p);
            int k = w[0] == 1 ? 0 : w[1] == 1 ? 1 : 2;
            assertEquals(1, w[k]);
            hits[k]++;
            assertArrayEquals(w, strategy.composition(t, p), "deterministic in (seed, step)");
        }
        double chi = 0;
        for (int k = 0; k < 3; k++) chi += Math.pow(hits[k] - steps * p[k], 2) / (steps * p[k]);
        assertTrue(chi < 13.8, "chi2 " + chi);
        var mixer = new Mixer(smallConfig(Rounding.CARRY), strategy);
        for (int t = 0; t < 10; t++)
            assertEquals(16, Arrays.stream(mixer.next().counts()).max().getAsInt());
    }

    /*
     * Baseline weights by hand. Token counts n = (1000, 10):
     *   token-proportional: (1000, 10)/1010;  temperature α = 0.5: (√1000, √10) ∝ (10, 1) → (10/11, 1/11);
     *   α = 0.3 (mT5): 1000^0.3 / 10^0.3 = 100^0.3 = 3.981 → (3.981/4.981, 1/4.981).
     * Static GLaM weights (Table 4) are used as given.
     */
    @Test
    void baselines_handDerivedWeights() {
        long[] n = {1000, 10};
        assertArrayEquals(
                new double[] {1000 / 1010.0, 10 / 1010.0},
                Strategies.tokenProportional(n).initialWeights(),
                1e-12);
        assertArrayEquals(
                new double[] {10 / 11.0, 1 / 11.0},
                Strategies.temperature(n, 0.5).initialWeights(),
                1e-12);
        double r = Math.pow(100, 0.3);
        assertArrayEquals(
                new double[] {r / (1 + r), 1 / (1 + r)},
                Strategies.temperature(n, Strategies.DEFAULT_ALPHA).initialWeights(),
                1e-12);
        double[] glam = {0.42, 0.06, 0.28, 0.02, 0.20, 0.02};
        assertArrayEquals(glam, Strategies.fixed(glam).initialWeights(), 1e-12);
        assertArrayEquals(
                new double[] {0.25, 0.25, 0.25, 0.25}, Strategies.mix(4).initialWeights(), 0);
        var stats = syntheticStats(1, 2);
        assertArrayEquals(
                new double[] {0.3, 0.7},
                Strategies.fixed(new double[] {3, 7}).update(new double[] {0.3, 0.7}, stats),
                0);
    }

    @Test
    void pin_changesWeightsFromCurrentStep() {
        var mixer = new Mixer(smallConfig(Rounding.PER_STEP), Strategies.mix(3));
        mixer.next();
        WeightChange change = mixer.pin(new double[] {0, 1, 0});
        assertEquals(1, change.step());
        assertArrayEquals(new int[] {0, 16, 0}, mixer.next().counts());
        assertThrows(UserException.class, () -> mixer.pin(new double[] {0.5, 0.6, 0}));
    }

    @Test
    void resume_rejectsStateOfAnotherRun() {
        var config = smallConfig(Rounding.CARRY);
        var state = MixerState.initial(1, new double[] {0.5, 0.5});
        var e = assertThrows(UserException.class, () -> new Mixer(config, Strategies.mix(3), state));
        assertTrue(e.getMessage().contains("2 domains but the config has 3"), e.getMessage());
    }

    @Test
    void byName_buildsEveryStrategyAndRejectsUnknown() {
        for (String name : Strategies.NAMES) {
            Strategy s = Strategies.byName(
                    name,
                    3,
                    null,
                    new long[] {1, 2, 3},
                    0.3,
                    PikeParams.defaults(16),
                    ConceptualParams.defaults(16),
                    1);
            assertEquals(name, s.name());
            PikeUpdateTest.assertOnSimplex(s.update(
                    s.initialWeights(),
                    new DomainStats(new double[] {1, 2, 3}, new double[] {10, 20, 30}, new double[] {1, 2, 3})));
        }
        var e = assertThrows(
                UserException.class,
                () -> Strategies.byName(
                        "pik", 3, null, null, 0.3, PikeParams.defaults(16), ConceptualParams.defaults(16), 1));
        assertTrue(e.getMessage().startsWith("unknown strategy 'pik'"));
    }
}
