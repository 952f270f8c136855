package io.pikemix.service;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.MixConfig;
import io.pikemix.mixer.Mixer;
import io.pikemix.mixer.Strategy;
import io.pikemix.mixer.WeightChange;
import io.pikemix.service.client.MixerClient;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several workers whose pooled ‖∇L_k‖² is ≤ 0 (signal far below noise): the trainers' route
 * ({@code Mixer.report(step, workers)}, as Trainer and SparkTrainer call it) and the service's route (the
 * workers' reports over HTTP, pooled when the last one arrives) give the same, hand-derived weights.
 */
class PoolingRouteTest {
    @TempDir
    Path dir;

    /** One worker's report with N̂_k = ‖ḡ_k‖² − σ_k²/n_k, as GradientStatsAccumulator computes it. */
    static GradientStats worker(int[] m, long[] n, double[] meanNormSq, double[] var) {
        int K = m.length;
        var normSq = new double[K];
        var inner = new double[K][K];
        var cos = new double[K][K];
        for (int k = 0; k < K; k++) {
            normSq[k] = meanNormSq[k] - var[k] / n[k];
            inner[k][k] = normSq[k];
            cos[k][k] = 1;
        }
        return new GradientStats(m, n, normSq, meanNormSq, var, inner, cos, null);
    }

    /**
     * Two workers, three domains (mixer's PoolingTest derives the pooled values by hand):
     * ‖∇L‖² = (5e-7, 26/15, 1) — domain 0 pools to N̂ = −1.5 and ‖ḡ‖² = −0.5, so it takes the floor
     * 1e-6 · (2·0.5 + 2·0.5)/4 — and σ² = (4, 10/3, 1).
     */
    static final List<GradientStats> WORKERS = List.of(
            worker(new int[] {2, 2, 2}, new long[] {2, 4, 2}, new double[] {0.5, 3, 1.5}, new double[] {4, 2, 1}),
            worker(new int[] {2, 3, 2}, new long[] {2, 6, 2}, new double[] {0.5, 2, 1.5}, new double[] {4, 4, 1}));

    @Test
    void pooledNormBelowZero_trainerRouteAndServiceRouteGiveSameWeights() {
        MixConfig mix = Fixtures.mix(1); // b = 16, every step wants statistics
        Strategy pike = Fixtures.pike(mix); // ζ1 = 0.5, ζ2 = 0.5, uniform start
        var local = new Mixer(mix, pike);
        local.next();
        WeightChange trainer = local.report(0, WORKERS);

        // PiKE from uniform weights: w_k ∝ exp(ζ1·‖∇L_k‖² − ζ2/(2b)·σ_k²), b = 16
        double[] x = {0.5 * 5e-7 - 0.5 / 32 * 4, 0.5 * 26.0 / 15 - 0.5 / 32 * (10.0 / 3), 0.5 * 1 - 0.5 / 32 * 1};
        double sum = 0;
        var expected = new double[3];
        for (int k = 0; k < 3; k++) sum += expected[k] = Math.exp(x[k]);
        for (int k = 0; k < 3; k++) expected[k] /= sum;
        assertArrayEquals(expected, trainer.weights(), 1e-12);
        assertArrayEquals(
                new double[] {0.194866355612624, 0.468434859333346, 0.336698785054030}, trainer.weights(), 1e-12);
        assertEquals(5e-7, trainer.stats().gradNormSq()[0], 1e-18, "domain 0 took the floor");

        try (var server = MixerServer.start(Fixtures.service(mix, pike, 2, dir.resolve("s"), null))) {
            MixerClient c = ServiceTest.client(server, null);
            c.manifest(0, 0, 2);
            c.manifest(0, 1, 2);
            assertFalse(c.report(0, 0, 2, WORKERS.get(0)).closed());
            assertTrue(c.report(0, 1, 2, WORKERS.get(1)).closed(), "the pooled update was accepted");
            assertArrayEquals(
                    trainer.weights(), c.manifest(1, 0, 1).manifest().weights(), 0, "the weights composing step 1");
            assertEquals(local.history(), c.history());
        }
    }
}
