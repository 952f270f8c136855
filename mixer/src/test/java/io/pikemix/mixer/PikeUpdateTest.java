package io.pikemix.mixer;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.UserException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PikeUpdateTest {
    static final double EPS = 1e-12;

    /*
     * Algorithm 1, lines 6-7, by hand. ζ1 = 1, b = 4, ζ2 = 2b = 8 so ζ2/(2b) = 1, σ² = (1, 1, 1),
     * ‖∇L‖² = (1 + ln 2, 1, 1 + ln 4):
     *   exponents x_k = ζ1‖∇L_k‖² − σ_k² = (ln 2, 0, ln 4)
     *   w_k · e^{x_k} = (1/3·2, 1/3·1, 1/3·4) = (2/3, 1/3, 4/3), sum 7/3
     *   w ← (2/7, 1/7, 4/7)
     */
    @Test
    void pikeStep_handDerivedThreeDomains() {
        double[] w = {1.0 / 3, 1.0 / 3, 1.0 / 3};
        double[] normSq = {1 + Math.log(2), 1, 1 + Math.log(4)};
        double[] var = {1, 1, 1};
        double[] out = PikeUpdate.pikeStep(w, normSq, var, 1, 8, 4, 0);
        assertArrayEquals(new double[] {2.0 / 7, 1.0 / 7, 4.0 / 7}, out, EPS);
    }

    /*
     * The defaults ζ1 = 0.01, ζ2 = 10, b = 256 (ζ2/(2b) = 10/512), w = (1/2, 1/2),
     * ‖∇L‖² = (100, 50), σ² = (512, 1024):
     *   x = (0.01·100 − 512·10/512, 0.01·50 − 1024·10/512) = (1 − 10, 0.5 − 20) = (−9, −19.5)
     *   w_1 = e^{−9} / (e^{−9} + e^{−19.5}) = 1 / (1 + e^{−10.5}),  w_2 = e^{−10.5} / (1 + e^{−10.5})
     * (the domain with the larger variance relative to its gradient norm loses weight).
     */
    @Test
    void pikeStep_handDerivedWithPaperDefaults() {
        var p = PikeParams.defaults(256);
        double[] out = PikeUpdate.pikeStep(
                new double[] {0.5, 0.5},
                new double[] {100, 50},
                new double[] {512, 1024},
                p.zeta1(),
                p.zeta2(),
                p.batchSize(),
                0);
        double e = Math.exp(-10.5);
        assertArrayEquals(new double[] {1 / (1 + e), e / (1 + e)}, out, EPS);
    }

    @Test
    void pikeStep_weightsStayOnSimplex() {
        var rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 2000; trial++) {
            int K = 1 + rnd.nextInt(12);
            double[] w = randomSimplex(rnd, K), n = new double[K], v = new double[K];
            for (int k = 0; k < K; k++) {
                n[k] = Math.exp(rnd.nextDouble(-20, 20));
                v[k] = Math.exp(rnd.nextDouble(-20, 20));
            }
            double[] out = PikeUpdate.pikeStep(
                    w, n, v, rnd.nextDouble(0, 1), rnd.nextDouble(0, 20), 1 + rnd.nextInt(512), 1e-6);
            assertOnSimplex(out);
            for (double x : out) assertTrue(x >= 1e-6 * (1 - 1e-12));
        }
    }

    @Test
    void pikeStep_identicalDomainsKeepEqualWeights() {
        double[] out = PikeUpdate.pikeStep(
                new double[] {0.25, 0.25, 0.25, 0.25},
                new double[] {3, 3, 3, 3},
                new double[] {7, 7, 7, 7},
                0.01,
                10,
                256,
                0);
        assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25}, out, EPS);
    }

    /* Exponents of ±1e6 would overflow exp(); after the max-shift the result is exact: (1, 0) up to e^{−2e6}. */
    @Test
    void pikeStep_hugeExponentsDoNotOverflow() {
        double[] out = PikeUpdate.pikeStep(
                new double[] {0.5, 0.5}, new double[] {1e8, 1e-8}, new double[] {1e-8, 1e8}, 0.01, 10, 256, 0);
        assertArrayEquals(new double[] {1, 0}, out, 0);
    }

    @Test
    void pikeStep_underflowingWeightIsRaisedToFloor() {
        double[] out = PikeUpdate.pikeStep(
                new double[] {0.5, 0.5}, new double[] {1e8, 1e-8}, new double[] {1e-8, 1e8}, 0.01, 10, 256, 1e-6);
        assertArrayEquals(new double[] {1 - 1e-6, 1e-6}, out, EPS);
        assertOnSimplex(out);
    }

    @Test
    void floor_waterFillingKeepsSimplexAndOrder() {
        var rnd = new SplittableRandom(3);
        for (int trial = 0; trial < 1000; trial++) {
            int K = 2 + rnd.nextInt(10);
            double[] w = randomSimplex(rnd, K);
            for (int k = 0; k < K; k++) if (rnd.nextInt(3) == 0) w[k] = 1e-12;
            double s = 0;
            for (double x : w) s += x;
            for (int k = 0; k < K; k++) w[k] /= s;
            double f = rnd.nextDouble(0, 1.0 / K);
            double[] out = PikeUpdate.floor(w, f);
            assertOnSimplex(out);
            for (int k = 0; k < K; k++) {
                assertTrue(out[k] >= f - 1e-15, "floor");
                for (int j = 0; j < K; j++) if (w[k] < w[j]) assertTrue(out[k] <= out[j] + 1e-15, "order kept");
            }
        }
    }

    /*
     * Algorithm 3 by hand. τ = 1, L = (1, 1 + ln 3):
     *   y* = τ e^{τL_k − 1} / Σ_j e^{τL_j − 1} = (e^0, e^{ln 3}) / (1 + 3) = (1/4, 3/4)
     * ζ1 = 1, b = 2, ζ2 = 2b = 4 (ζ2/(2b) = 1), σ² = (1, 1), ‖∇L‖² = (1 + 16 ln 2, 1 + (16/9) ln 3):
     *   ζ1‖∇L‖² − σ² = (16 ln 2, (16/9) ln 3);  times (y*)² = (1/16, 9/16) gives (ln 2, ln 3)
     *   w = (1/2, 1/2) → (1/2·2, 1/2·3) / (5/2) = (2/5, 3/5)
     */
    @Test
    void fairStep_handDerivedTwoDomains() {
        double[] y = PikeUpdate.tilt(new double[] {1, 1 + Math.log(3)}, 1);
        assertArrayEquals(new double[] {0.25, 0.75}, y, EPS);
        double[] out = PikeUpdate.fairStep(
                new double[] {0.5, 0.5},
                new double[] {1 + 16 * Math.log(2), 1 + 16.0 / 9 * Math.log(3)},
                new double[] {1, 1},
                new double[] {1, 1 + Math.log(3)},
                1,
                4,
                2,
                1,
                0);
        assertArrayEquals(new double[] {0.4, 0.6}, out, EPS);
    }

    /* With equal losses y_k* = τ/K for every k, so Fair-PiKE is PiKE with (ζ1, ζ2) scaled by (τ/K)². */
    @Test
    void fairStep_equalLossesIsPikeWithScaledZetas() {
        double tau = 3;
        double[] w = {0.2, 0.3, 0.5}, n = {1.5, 0.7, 2.2}, v = {300, 100, 900};
        double c = (tau / 3) * (tau / 3);
        assertArrayEquals(
                PikeUpdate.pikeStep(w, n, v, 0.4 * c, 12 * c, 64, 0),
                PikeUpdate.fairStep(w, n, v, new double[] {2, 2, 2}, 0.4, 12, 64, tau, 0),
                EPS);
    }

    /*
     * Lemma F.6: y* = τ softmax(τx) maximises Σ y_k x_k − Σ (y_k/τ) log(y_k/τ) over {y ≥ 0, Σ y = τ}, and the
     * maximum is log Σ e^{τ x_k} (Lemma F.5). Direct maximisation: every point of a 1/300 grid on the scaled
     * simplex, K = 3, random x and τ.
     */
    @Test
    void tilt_matchesDirectMaximisationOfLemmaF6() {
        var rnd = new SplittableRandom(11);
        int grid = 300;
        for (int trial = 0; trial < 12; trial++) {
            double tau = rnd.nextDouble(0.3, 5);
            double[] x = {rnd.nextDouble(0, 3), rnd.nextDouble(0, 3), rnd.nextDouble(0, 3)};
            double[] y = PikeUpdate.tilt(x, tau);
            double best = Double.NEGATIVE_INFINITY;
            double[] arg = null;
            for (int i = 0; i <= grid; i++)
                for (int j = 0; i + j <= grid; j++) {
                    double[] cand = {tau * i / grid, tau * j / grid, tau * (grid - i - j) / grid};
                    double f = lemmaObjective(cand, x, tau);
                    if (f > best) {
                        best = f;
                        arg = cand;
                    }
                }
            double fStar = lemmaObjective(y, x, tau);
            assertTrue(fStar >= best - 1e-12, "closed form beats every grid point");
            assertArrayEquals(arg, y, 2.0 * tau / grid, "grid argmax next to the closed form");
            double lse = Math.log(Math.exp(tau * x[0]) + Math.exp(tau * x[1]) + Math.exp(tau * x[2]));
            assertEquals(lse, fStar, 1e-12, "Lemma F.5 value");
            assertEquals(tau, y[0] + y[1] + y[2], 1e-12);
        }
    }

    @Test
    void tilt_hugeLossesDoNotOverflow() {
        double[] y = PikeUpdate.tilt(new double[] {1000, 999}, 5);
        double e = Math.exp(-5);
        assertArrayEquals(new double[] {5 / (1 + e), 5 * e / (1 + e)}, y, EPS);
    }

    @Test
    void requireValid_rejectsZeroAndNonFiniteNamingTheDomain() {
        var zero = new DomainStats(new double[] {1, 0}, new double[] {1, 1}, null);
        var e1 = assertThrows(UserException.class, () -> zero.requireValid(2, false));
        assertTrue(e1.getMessage().startsWith("grad_norm_sq[1] = 0.0"), e1.getMessage());
        assertTrue(e1.getMessage().contains("domain 1"), e1.getMessage());
        var nan = new DomainStats(new double[] {1, 1}, new double[] {Double.NaN, 1}, null);
        var e2 = assertThrows(UserException.class, () -> nan.requireValid(2, false));
        assertTrue(e2.getMessage().startsWith("grad_var[0] = NaN"), e2.getMessage());
        var inf = new DomainStats(new double[] {1, 1}, new double[] {1, 1}, new double[] {1, Double.POSITIVE_INFINITY});
        assertThrows(UserException.class, () -> inf.requireValid(2, true));
        var noLoss = new DomainStats(new double[] {1, 1}, new double[] {1, 1}, null);
        assertThrows(UserException.class, () -> noLoss.requireValid(2, true));
        assertThrows(UserException.class, () -> noLoss.requireValid(3, false));
    }

    static double lemmaObjective(double[] y, double[] x, double tau) {
        double f = 0;
        for (int k = 0; k < y.length; k++) {
            f += y[k] * x[k];
            if (y[k] > 0) f -= y[k] / tau * Math.log(y[k] / tau);
        }
        return f;
    }

    static double[] randomSimplex(SplittableRandom rnd, int K) {
        var w = new double[K];
        double s = 0;
        for (int k = 0; k < K; k++) s += w[k] = -Math.log(1 - rnd.nextDouble());
        for (int k = 0; k < K; k++) w[k] /= s;
        return w;
    }

    static void assertOnSimplex(double[] w) {
        double s = 0;
        for (double x : w) {
            assertTrue(Double.isFinite(x) && x >= 0, "weight " + x);
            s += x;
        }
        assertEquals(1, s, 1e-12);
    }
}
