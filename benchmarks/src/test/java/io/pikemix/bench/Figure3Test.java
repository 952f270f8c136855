package io.pikemix.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Figure3Test {

    /* Eq. (4) is the minimiser of eq. (3) over [0, 1]: compared with a 1/10,000 grid on random instances. */
    @Test
    void eq4_minimisesEq3() {
        var rnd = new SplittableRandom(4);
        for (int trial = 0; trial < 200; trial++) {
            double th1 = rnd.nextDouble(-3, 3), th2 = rnd.nextDouble(-3, 3), eta = rnd.nextDouble(0.01, 1.5);
            int b = 1 + rnd.nextInt(64);
            double s1 = rnd.nextDouble(0, 10), s2 = rnd.nextDouble(0, 10);
            double w = Figure3.adaptiveWeight(th1, th2, eta, b, s1, s2);
            double fw = Figure3.expectedNextLoss(w, th1, th2, eta, b, s1, s2);
            for (int i = 0; i <= 10_000; i++)
                assertTrue(fw <= Figure3.expectedNextLoss(i / 10_000.0, th1, th2, eta, b, s1, s2) + 1e-12);
        }
    }

    /*
     * Eq. (3) against a Monte-Carlo step: 200,000 draws of z, tolerance 4 standard errors of the sample mean.
     */
    @Test
    void eq3_matchesMonteCarloStep() {
        double th1 = 1, th2 = -2, eta = 0.5, w = 0.3, s1 = 1, s2 = 4;
        int b = 8, n = 200_000;
        var rnd = new SplittableRandom(8);
        double sum = 0, sumSq = 0, sd = Math.sqrt((w * s1 + (1 - w) * s2) / b);
        for (int i = 0; i < n; i++) {
            double a = th1 - eta * (w * th1 + sd * Figure3.gaussian(rnd));
            double c = th2 - eta * ((1 - w) * th2 + sd * Figure3.gaussian(rnd));
            double l = 0.5 * (a * a + c * c);
            sum += l;
            sumSq += l * l;
        }
        double mean = sum / n, se = Math.sqrt((sumSq / n - mean * mean) / n);
        assertEquals(Figure3.expectedNextLoss(w, th1, th2, eta, b, s1, s2), mean, 4 * se);
    }

    /*
     * The paper's claim, recomputed: with the adaptive weights of eq. (4) the loss ends lower than with every
     * static mix w ∈ {0, 0.05, …, 1}, and stays lower over the whole second half of training (mean over 200
     * runs with shared noise).
     */
    @Test
    void adaptive_reachesLowerLossThanEveryStaticMix() {
        var s = Figure3.Setup.DEFAULT;
        double[] grid = Figure3.grid();
        double[][] curves = Figure3.lossCurves(s, grid);
        for (int p = 1; p < curves.length; p++) {
            assertTrue(
                    curves[0][s.steps()] < curves[p][s.steps()],
                    "adaptive " + curves[0][s.steps()] + " vs static w=" + grid[p - 1] + " " + curves[p][s.steps()]);
            double ad = 0, st = 0;
            for (int t = s.steps() / 2; t <= s.steps(); t++) {
                ad += curves[0][t];
                st += curves[p][t];
            }
            assertTrue(ad < st, "second half, static w=" + grid[p - 1]);
        }
    }
}
