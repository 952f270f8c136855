package io.pikemix.mixer;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.UserException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PoolingTest {
    /**
     * One worker's report: m_k micro-batches, n_k sequences, ‖ḡ_k‖² and σ_k², with the unbiased
     * N̂_k = ‖ḡ_k‖² − σ_k²/n_k exactly as {@link GradientStatsAccumulator} computes it (v/m = σ²/n).
     */
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
     * Two workers, three domains; domain 0's signal is far below its noise. By hand (Pooling's Javadoc):
     *
     *   domain 0: both workers m = 2, n = 2, ‖ḡ‖² = 0.5, σ² = 4, so N̂_w = 0.5 − 4/2 = −1.5.
     *             σ² = (4 + 4)/2 = 4;  N̂ = 2·(−1.5 + 2 − 2)·2 / 4 = −1.5;  G = N̂ + σ²/N = −1.5 + 1 = −0.5 ≤ 0,
     *             so max(N̂, 1e-6·G) = −5e-7 ≤ 0 and the floor is 1e-6 · (2·0.5 + 2·0.5)/4 = 5e-7.
     *   domain 1: (m, n, ‖ḡ‖², σ²) = (2, 4, 3, 2) and (3, 6, 2, 4): N̂_w = 2.5 and 4/3;
     *             σ² = (1·2 + 2·4)/3 = 10/3;  N̂ = [4(2.5 + 0.5 − 10/12) + 6(4/3 + 2/3 − 10/18)]/10 = 26/15.
     *   domain 2: both (2, 2, 1.5, 1): N̂_w = 1, σ² = 1, N̂ = 1.
     */
    static List<GradientStats> belowNoise() {
        return List.of(
                worker(new int[] {2, 2, 2}, new long[] {2, 4, 2}, new double[] {0.5, 3, 1.5}, new double[] {4, 2, 1}),
                worker(new int[] {2, 3, 2}, new long[] {2, 6, 2}, new double[] {0.5, 2, 1.5}, new double[] {4, 4, 1}));
    }

    @Test
    void pool_severalWorkersWithPooledNormBelowZero_raisedToFloor() {
        DomainStats d = Pooling.pool(belowNoise());
        assertArrayEquals(new double[] {5e-7, 26.0 / 15, 1}, d.gradNormSq(), 1e-12);
        assertArrayEquals(new double[] {4, 10.0 / 3, 1}, d.gradVar(), 1e-12);
        d.requireValid(3, false);
    }

    /* The symptom: the Spark trainer's old route (pool, then toDomainStats) gave a non-positive ‖∇L_0‖² that PiKE refuses. */
    @Test
    void pool_severalWorkersBelowNoise_oldRouteWasRefused() {
        DomainStats old = GradientStats.pool(belowNoise()).toDomainStats();
        assertEquals(-5e-7, old.gradNormSq()[0], 1e-15);
        Strategy pike = Strategies.pike(new double[] {1, 1, 1}, new PikeParams(0.5, 0.5, 16, 3, 1e-6));
        assertThrows(UserException.class, () -> pike.update(pike.initialWeights(), old));
        PikeUpdateTest.assertOnSimplex(pike.update(pike.initialWeights(), Pooling.pool(belowNoise())));
    }

    @Test
    void pool_oneWorkerIsExactlyToDomainStats() {
        var rnd = new SplittableRandom(3);
        for (int i = 0; i < 50; i++) {
            GradientStats g = worker(
                    new int[] {2, 3},
                    new long[] {4, 9},
                    new double[] {rnd.nextDouble(0.1, 2), rnd.nextDouble(0.1, 2)},
                    new double[] {rnd.nextDouble(0.1, 20), rnd.nextDouble(0.1, 20)});
            assertEquals(g.toDomainStats(), Pooling.pool(List.of(g)));
        }
    }

    /* Over random reports of 2..5 workers (many with signal below noise), every pooled ‖∇L_k‖² is > 0 and ≥ N̂. */
    @Test
    void pool_normAlwaysPositiveAndNeverBelowUnbiasedEstimate() {
        var rnd = new SplittableRandom(11);
        for (int trial = 0; trial < 500; trial++) {
            int workers = 2 + rnd.nextInt(4);
            var list = new java.util.ArrayList<GradientStats>();
            for (int w = 0; w < workers; w++) {
                int m = 2 + rnd.nextInt(3);
                long n = (long) m * (1 + rnd.nextInt(4));
                list.add(worker(new int[] {m}, new long[] {n}, new double[] {rnd.nextDouble(1e-4, 1)}, new double[] {
                    rnd.nextDouble(0.1, 50)
                }));
            }
            double pooled = Pooling.pool(list).gradNormSq()[0];
            assertTrue(pooled > 0, "trial " + trial + ": " + pooled);
            assertTrue(pooled >= GradientStats.pool(list).gradNormSq()[0]);
        }
    }
}
