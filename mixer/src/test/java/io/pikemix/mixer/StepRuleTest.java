package io.pikemix.mixer;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.UserException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The step rule and pinning of {@link Mixer}, which the trainers and the service share. */
class StepRuleTest {
    /** PiKE with large ζ, T = 2: steps 0, 2, 4, ... want statistics. */
    static Mixer pikeMixer() {
        MixConfig c = MixerTest.smallConfig(Rounding.CARRY);
        c = new MixConfig(c.domains(), c.batchSize(), c.seed(), c.rounding(), 2);
        return new Mixer(c, Strategies.pike(new double[] {1, 1, 1}, new PikeParams(0.5, 10, 16, 3, 1e-6)));
    }

    static final DomainStats STATS = new DomainStats(new double[] {1, 2, 3}, new double[] {10, 20, 30}, null);

    @Test
    void report_composesTheNextStep_andItsWeightsAreThenFinal() {
        Mixer mixer = pikeMixer();
        assertTrue(mixer.ready());
        mixer.next(); // step 0 wants statistics
        assertFalse(mixer.ready());
        assertEquals(0, mixer.awaiting());
        assertEquals(1, mixer.firstOpenStep(), "step 1 can still be pinned until step 0's reports are in");
        WeightChange c = mixer.report(0, STATS);
        assertEquals(1, c.step());
        assertTrue(mixer.ready());
        assertArrayEquals(c.weights(), mixer.next().weights(), 0, "the update composes step 1");
        assertEquals(2, mixer.firstOpenStep());
        var e = assertThrows(UserException.class, () -> mixer.pin(1, new double[] {1, 0, 0}));
        assertTrue(e.getMessage().contains("its manifest is out"), e.getMessage());
    }

    @Test
    void pin_atTheStepAfterReportedStatistics_isRefused() {
        Mixer mixer = pikeMixer();
        mixer.next();
        mixer.report(0, STATS);
        var e = assertThrows(UserException.class, () -> mixer.pin(1, new double[] {1, 0, 0}));
        assertEquals(
                "the weights of step 1 are final (the statistics of step 0 are in); the earliest step that can change is 2",
                e.getMessage());
        mixer.pin(2, new double[] {1, 0, 0});
    }

    @Test
    void report_refusedForStepsThatTakeNoStatisticsOrOutOfOrder() {
        Mixer mixer = pikeMixer();
        assertThrows(UserException.class, () -> mixer.report(STATS), "nothing handed out yet");
        mixer.next(); // step 0
        assertThrows(UserException.class, () -> mixer.report(1, STATS));
        mixer.report(0, STATS);
        mixer.next(); // step 1: 1 mod 2 ≠ 0
        var e = assertThrows(UserException.class, () -> mixer.report(1, STATS));
        assertTrue(e.getMessage().startsWith("step 1 takes no statistics now"), e.getMessage());
        // a strategy that refuses the statistics leaves the mixer unchanged
        mixer.next(); // step 2
        MixerState before = mixer.state();
        assertThrows(
                UserException.class,
                () -> mixer.report(2, new DomainStats(new double[] {1, 0, 1}, new double[] {1, 1, 1}, null)));
        assertEquals(before, mixer.state());
        assertEquals(2, mixer.awaiting());
    }

    /* A round of A = 4 steps planned ahead (the Spark trainer with A > 1): reports come late, in order, and compose the next round. */
    @Test
    void lateReports_inStepOrder_composeTheStepsAfterTheReport() {
        Mixer mixer = pikeMixer();
        for (int t = 0; t < 4; t++) mixer.next();
        assertEquals(0, mixer.awaiting());
        assertThrows(UserException.class, () -> mixer.report(2, STATS));
        mixer.report(0, STATS);
        assertEquals(2, mixer.awaiting());
        WeightChange c = mixer.report(2, STATS);
        assertEquals(4, c.step());
        assertArrayEquals(c.weights(), mixer.next().weights(), 0);
    }

    @Test
    void pin_holdsUntilRelease_suspendsStatistics_thenStrategyContinuesFromPinnedWeights() {
        Mixer mixer = pikeMixer();
        double[] pinned = {0.2, 0.2, 0.6};
        mixer.pin(2, pinned);
        assertTrue(mixer.wantsStatistics(0));
        mixer.next();
        mixer.report(0, STATS); // composes step 1
        mixer.next(); // step 1: t + 1 = 2 is pinned
        assertFalse(mixer.wantsStatistics(1));
        mixer.release(6);
        for (long t = 2; t < 6; t++) {
            assertFalse(mixer.wantsStatistics(t), "step " + t + " is pinned");
            StepManifest m = mixer.next();
            assertArrayEquals(pinned, m.weights(), 0);
        }
        assertTrue(mixer.ready());
        assertArrayEquals(
                pinned, mixer.state().weights(), 0, "released at 6: the strategy starts from the pinned weights");
        assertTrue(mixer.wantsStatistics(6));
        List<String> causes = mixer.history().stream().map(WeightChange::cause).toList();
        assertEquals(List.of("initial", "statistics", "pin"), causes);
        mixer.next();
        assertEquals("release", mixer.history().get(3).cause());
        assertEquals(6, mixer.history().get(3).step());
    }

    /* A pin at t + 1 while step t awaits its reports withdraws the request; releasing it again restores it. */
    @Test
    void pin_atNextStepWhileAwaiting_withdrawsTheStatisticsRequest() {
        Mixer mixer = pikeMixer();
        mixer.next();
        assertFalse(mixer.ready());
        mixer.pin(1, new double[] {0, 1, 0});
        assertTrue(mixer.ready());
        assertEquals(1, mixer.scheduled().size());
        mixer.release(1);
        assertFalse(mixer.ready(), "released before step 1 was handed out: step 0 wants its statistics again");
        assertNull(mixer.scheduled().get(1L));
    }

    @Test
    void forDataset_buildsWhatByNameBuildsWithTheMixBatchSize() {
        MixConfig mix = MixerTest.smallConfig(Rounding.CARRY);
        long[] tokens = {5, 7, 9};
        for (String name : Strategies.NAMES) {
            var options = StrategyOptions.defaults(name).withPike(0.5, 10, 3, 1e-6);
            Strategy s = Strategies.forDataset(mix, tokens, options);
            Strategy expected = Strategies.byName(
                    name,
                    3,
                    null,
                    tokens,
                    Strategies.DEFAULT_ALPHA,
                    new PikeParams(0.5, 10, mix.batchSize(), 3, 1e-6),
                    ConceptualParams.defaults(mix.batchSize()),
                    mix.seed());
            assertEquals(expected.name(), s.name());
            assertArrayEquals(expected.initialWeights(), s.initialWeights(), 0, name);
            var stats = new DomainStats(STATS.gradNormSq(), STATS.gradVar(), new double[] {1, 2, 3});
            assertArrayEquals(
                    expected.update(expected.initialWeights(), stats), s.update(s.initialWeights(), stats), 0, name);
            assertArrayEquals(
                    expected.composition(5, s.initialWeights()), s.composition(5, s.initialWeights()), 0, name);
        }
        assertEquals(
                "zeta1=0.5 zeta2=10.0 tau=3.0 min_weight=1.0E-6 alpha=0.3",
                StrategyOptions.defaults("pike").withPike(0.5, 10, 3, 1e-6).settings());
    }
}
