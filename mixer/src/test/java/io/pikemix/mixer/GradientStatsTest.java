package io.pikemix.mixer;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.UserException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/*
 * Synthetic gradients with known moments: micro-batch gradient g_i = μ + ε_i, ε_i ~ N(0, τ² I_d) with
 * τ² = σ²/(s·d), i.e. the mean of s sequences whose per-sequence noise has trace σ². Then
 *   ‖∇L‖² = ‖μ‖²,  per-sequence variance = σ²,
 * and the estimators' standard errors are (Gaussian moments; ḡ ~ N(μ, τ²/m I), (m−1)v_j/τ² ~ χ²_{m−1}
 * independent of ḡ):
 *   SE(σ̂²)    = σ² · sqrt(2 / (d(m−1)))
 *   SE(‖∇L‖²^) = sqrt( 4‖μ‖²τ²/m + 2dτ⁴/m² + 2dτ⁴/(m²(m−1)) )
 * Tolerance: 4 standard errors (two-sided p ≈ 6e-5 per check; seeds are fixed, so the tests are deterministic).
 */
class GradientStatsTest {

    static double[][] microBatches(SplittableRandom rnd, double[] mu, int m, double tau) {
        var g = new double[m][mu.length];
        for (int i = 0; i < m; i++) for (int j = 0; j < mu.length; j++) g[i][j] = mu[j] + tau * gaussian(rnd);
        return g;
    }

    static double gaussian(SplittableRandom rnd) { // Box–Muller, no global RNG
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    static double[] vector(SplittableRandom rnd, int d, double normSq) {
        var v = new double[d];
        double s = 0;
        for (int j = 0; j < d; j++) s += (v[j] = gaussian(rnd)) * v[j];
        for (int j = 0; j < d; j++) v[j] *= Math.sqrt(normSq / s);
        return v;
    }

    @Test
    void estimate_recoversNormAndVarianceWithinFourStandardErrors() {
        int d = 400, m = 8, s = 4;
        double normSq = 2.0, sigma2 = 50.0, tau2 = sigma2 / (s * d);
        double seVar = sigma2 * Math.sqrt(2.0 / (d * (m - 1)));
        double seNorm = Math.sqrt(
                4 * normSq * tau2 / m + 2 * d * tau2 * tau2 / (m * m) + 2 * d * tau2 * tau2 / (m * m * (m - 1.0)));
        for (int seed = 0; seed < 20; seed++) {
            var rnd = new SplittableRandom(seed);
            double[] mu = vector(rnd, d, normSq);
            GradientStats g = GradientStatsAccumulator.estimate(
                    new double[][][] {microBatches(rnd, mu, m, Math.sqrt(tau2))}, new int[] {s}, null);
            assertEquals(normSq, g.gradNormSq()[0], 4 * seNorm, "‖∇L‖², seed " + seed);
            assertEquals(sigma2, g.gradVar()[0], 4 * seVar, "σ², seed " + seed);
        }
    }

    /*
     * Unbiasedness over R = 2000 replicates (d = 20, m = 4, s = 2, ‖μ‖² = 0.5, σ² = 40): the mean of ‖∇L‖²^ is
     * within 4·SE/√R of ‖μ‖², while the plug-in ‖ḡ‖² is off by its bias σ²/(s·m) = 5, i.e. about 200 SE/√R.
     */
    @Test
    void estimate_unbiasedWherePlugInNormIsNot() {
        int d = 20, m = 4, s = 2, R = 2000;
        double normSq = 0.5, sigma2 = 40, tau2 = sigma2 / (s * d);
        var rnd = new SplittableRandom(17);
        double[] mu = vector(rnd, d, normSq);
        double sumNorm = 0, sumPlugIn = 0, sumVar = 0;
        for (int r = 0; r < R; r++) {
            GradientStats g = GradientStatsAccumulator.estimate(
                    new double[][][] {microBatches(rnd, mu, m, Math.sqrt(tau2))}, new int[] {s}, null);
            sumNorm += g.gradNormSq()[0];
            sumPlugIn += g.meanGradNormSq()[0];
            sumVar += g.gradVar()[0];
        }
        double seNorm = Math.sqrt(
                4 * normSq * tau2 / m + 2 * d * tau2 * tau2 / (m * m) + 2 * d * tau2 * tau2 / (m * m * (m - 1.0)));
        double seVar = sigma2 * Math.sqrt(2.0 / (d * (m - 1)));
        assertEquals(normSq, sumNorm / R, 4 * seNorm / Math.sqrt(R));
        assertEquals(sigma2, sumVar / R, 4 * seVar / Math.sqrt(R));
        assertEquals(normSq + sigma2 / (s * m), sumPlugIn / R, 4 * seNorm / Math.sqrt(R), "plug-in bias is σ²/(sm)");
    }

    /* Feeding the parameters tensor by tensor (float slices at offsets) gives the whole-vector result. */
    @Test
    void streaming_tensorByTensorEqualsWholeVectors() {
        var rnd = new SplittableRandom(3);
        int K = 3, d = 257;
        int[] m = {2, 3, 5}, s = {1, 4, 2};
        var grads = new double[K][][];
        for (int k = 0; k < K; k++) grads[k] = microBatches(rnd, vector(rnd, d, 1 + k), m[k], 0.3);
        for (int k = 0; k < K; k++) // float-exact values, so float and double paths agree
        for (double[] g : grads[k]) for (int j = 0; j < d; j++) g[j] = (float) g[j];
        GradientStats whole = GradientStatsAccumulator.estimate(grads, s, new double[] {1, 2, 3});
        var acc = new GradientStatsAccumulator(m, s);
        int[] cuts = {0, 1, 100, 101, 200, d};
        for (int c = 0; c + 1 < cuts.length; c++) {
            int len = cuts[c + 1] - cuts[c];
            for (int k = 0; k < K; k++)
                for (int i = 0; i < m[k]; i++) {
                    var f = new float[len + 3];
                    for (int j = 0; j < len; j++) f[j + 3] = (float) grads[k][i][cuts[c] + j];
                    acc.add(k, i, f, 3, len);
                }
            acc.endTensor();
        }
        GradientStats streamed = acc.finish(new double[] {1, 2, 3});
        for (int k = 0; k < K; k++) {
            assertEquals(whole.gradNormSq()[k], streamed.gradNormSq()[k], 1e-9);
            assertEquals(whole.gradVar()[k], streamed.gradVar()[k], 1e-9);
            assertArrayEquals(whole.cosine()[k], streamed.cosine()[k], 1e-9);
            assertArrayEquals(whole.innerProducts()[k], streamed.innerProducts()[k], 1e-9);
        }
        assertArrayEquals(new long[] {2, 12, 10}, streamed.sequences());
    }

    /* Hand-computed: two micro-batches (1, 0) and (3, 2), s = 5: ḡ = (2, 1), v = ((1+1) + (1+1))/1 = 4,
     * ‖∇L‖² = 5 − 4/2 = 3, σ² = 5·4 = 20. */
    @Test
    void estimate_handComputedTwoMicroBatches() {
        GradientStats g = GradientStatsAccumulator.estimate(new double[][][] {{{1, 0}, {3, 2}}}, new int[] {5}, null);
        assertEquals(3, g.gradNormSq()[0], 1e-12);
        assertEquals(5, g.meanGradNormSq()[0], 1e-12);
        assertEquals(20, g.gradVar()[0], 1e-12);
    }

    /* Orthogonal means give cosine ≈ 0; equal means give cosine ≈ 1 (within the noise at this signal level). */
    @Test
    void cosine_orthogonalAndAlignedDomains() {
        var rnd = new SplittableRandom(5);
        int d = 1000;
        var a = new double[d];
        var b = new double[d];
        for (int j = 0; j < d / 2; j++) a[j] = 0.1;
        for (int j = d / 2; j < d; j++) b[j] = 0.1;
        GradientStats g = GradientStatsAccumulator.estimate(
                new double[][][] {
                    microBatches(rnd, a, 4, 0.01), microBatches(rnd, b, 4, 0.01), microBatches(rnd, a, 4, 0.01)
                },
                new int[] {1, 1, 1},
                null);
        assertEquals(0, g.cosine()[0][1], 0.02);
        assertEquals(1, g.cosine()[0][2], 0.02);
        assertEquals(1, g.cosine()[1][1], 0);
        assertEquals(g.cosine()[0][1], g.cosine()[1][0], 1e-15);
    }

    @Test
    void pool_singleWorkerUnchanged() {
        var rnd = new SplittableRandom(1);
        GradientStats g = GradientStatsAccumulator.estimate(
                new double[][][] {microBatches(rnd, vector(rnd, 10, 1), 3, 0.5)}, new int[] {2}, new double[] {2.5});
        assertSame(g, GradientStats.pool(List.of(g)));
    }

    /*
     * Two workers with different m and s (m = 3, s = 2 and m = 5, s = 4) of the same domain: over R = 2000
     * replicates the pooled ‖∇L‖² and σ² are unbiased (within 4 SE/√R, SE taken from the pooled sample), and
     * the pooled sequence and micro-batch counts add up.
     */
    @Test
    void pool_unbiasedAcrossWorkersWithDifferentMicroBatches() {
        int d = 20, R = 2000;
        double normSq = 0.5, sigma2 = 40;
        var rnd = new SplittableRandom(23);
        double[] mu = vector(rnd, d, normSq);
        var norms = new double[R];
        var vars = new double[R];
        GradientStats last = null;
        for (int r = 0; r < R; r++) {
            var w1 = GradientStatsAccumulator.estimate(
                    new double[][][] {microBatches(rnd, mu, 3, Math.sqrt(sigma2 / (2 * d)))},
                    new int[] {2},
                    new double[] {1});
            var w2 = GradientStatsAccumulator.estimate(
                    new double[][][] {microBatches(rnd, mu, 5, Math.sqrt(sigma2 / (4 * d)))},
                    new int[] {4},
                    new double[] {2});
            last = GradientStats.pool(List.of(w1, w2));
            norms[r] = last.gradNormSq()[0];
            vars[r] = last.gradVar()[0];
        }
        assertEquals(normSq, mean(norms), 4 * sd(norms) / Math.sqrt(R));
        assertEquals(sigma2, mean(vars), 4 * sd(vars) / Math.sqrt(R));
        assertEquals(8, last.microBatches()[0]);
        assertEquals(26, last.sequences()[0]);
        assertEquals((6 * 1 + 20 * 2) / 26.0, last.loss()[0], 1e-12, "sequence-weighted loss");
    }

    @Test
    void toDomainStats_keepsNormPositive() {
        var g = new GradientStats(
                new int[] {2, 2},
                new long[] {2, 2},
                new double[] {-0.5, 2},
                new double[] {4, 3},
                new double[] {9, 9},
                new double[2][2],
                new double[2][2],
                null);
        DomainStats d = g.toDomainStats();
        assertArrayEquals(new double[] {4e-6, 2}, d.gradNormSq(), 1e-18);
        d.requireValid(2, false);
    }

    @Test
    void accumulator_rejectsTooFewOrMisorderedMicroBatches() {
        assertThrows(UserException.class, () -> new GradientStatsAccumulator(new int[] {1}, new int[] {1}));
        var acc = new GradientStatsAccumulator(new int[] {2}, new int[] {1});
        assertThrows(UserException.class, () -> acc.add(0, 1, new double[] {1}));
        acc.add(0, 0, new double[] {1});
        assertThrows(UserException.class, acc::endTensor);
        assertThrows(UserException.class, () -> acc.add(0, 1, new double[] {1, 2}));
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s / x.length;
    }

    static double sd(double[] x) {
        double m = mean(x), s = 0;
        for (double v : x) s += (v - m) * (v - m);
        return Math.sqrt(s / (x.length - 1));
    }
}
