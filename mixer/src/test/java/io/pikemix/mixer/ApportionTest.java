package io.pikemix.mixer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ApportionTest {

    /* w = (0.5, 0.3, 0.2), b = 7: exact (3.5, 2.1, 1.4), floors (3, 2, 1) sum 6, one extra row to the largest remainder 0.5. */
    @Test
    void counts_pinnedExample() {
        assertArrayEquals(new int[] {4, 2, 1}, Apportion.counts(new double[] {0.5, 0.3, 0.2}, 7));
        // ties go to the lower index: (1/3, 1/3, 1/3) at b = 4 → exact 4/3 each, one extra row to domain 0
        assertArrayEquals(new int[] {2, 1, 1}, Apportion.counts(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3}, 4));
    }

    @Test
    void counts_sumToBatchSizeAndEachWithinFloorAndCeilOfExactShare() {
        var rnd = new SplittableRandom(1);
        for (int trial = 0; trial < 5000; trial++) {
            int K = 1 + rnd.nextInt(70), b = 1 + rnd.nextInt(1024);
            double[] w = PikeUpdateTest.randomSimplex(rnd, K);
            if (rnd.nextBoolean()) w[rnd.nextInt(K)] = 0;
            if (sum(w) == 0) continue;
            double s = sum(w);
            int[] c = Apportion.counts(w, b);
            assertEquals(b, sumInt(c));
            for (int k = 0; k < K; k++) {
                double exact = w[k] / s * b;
                assertTrue(c[k] >= Math.floor(exact - 1e-9) && c[k] <= Math.ceil(exact + 1e-9), "floor/ceil");
            }
        }
    }

    /* Constant weights: Σ_t c_k(t) stays within one row of t·b·w_k for every domain at every step. */
    @Test
    void countsWithCarry_cumulativeWithinOneRowForConstantWeights() {
        var rnd = new SplittableRandom(2);
        for (int trial = 0; trial < 200; trial++) {
            int K = 1 + rnd.nextInt(64), b = 1 + rnd.nextInt(300);
            double[] w = PikeUpdateTest.randomSimplex(rnd, K);
            var carry = new double[K];
            var total = new long[K];
            for (int t = 1; t <= 300; t++) {
                int[] c = Apportion.countsWithCarry(w, b, carry);
                assertEquals(b, sumInt(c));
                for (int k = 0; k < K; k++) {
                    total[k] += c[k];
                    assertTrue(Math.abs(total[k] - (double) t * b * w[k]) < 1 + 1e-9, "within one row");
                }
            }
        }
    }

    /* Arbitrary weight changes (with zeros): counts sum to b, never negative; no domain ever runs a row ahead. */
    @Test
    void countsWithCarry_changingWeightsKeepInvariants() {
        var rnd = new SplittableRandom(3);
        for (int trial = 0; trial < 200; trial++) {
            int K = 2 + rnd.nextInt(10), b = 1 + rnd.nextInt(64);
            var carry = new double[K];
            var total = new long[K];
            var target = new double[K];
            double[] w = PikeUpdateTest.randomSimplex(rnd, K);
            for (int t = 0; t < 300; t++) {
                if (rnd.nextInt(5) == 0) w = PikeUpdateTest.randomSimplex(rnd, K);
                int[] c = Apportion.countsWithCarry(w, b, carry);
                assertEquals(b, sumInt(c));
                double cs = 0;
                for (int k = 0; k < K; k++) {
                    assertTrue(c[k] >= 0);
                    total[k] += c[k];
                    target[k] += b * w[k];
                    assertTrue(carry[k] > -1 - 1e-9, "never a row ahead of the carried target");
                    cs += carry[k];
                }
                assertEquals(0, cs, 1e-9, "carries sum to zero");
            }
        }
    }

    /* b·w_k = 0.256 < 1: the domain gets a row every 3-4 steps, 256 rows over 1000 steps (the paper's round would give 0). */
    @Test
    void countsWithCarry_domainBelowOneRowPerStepStillServed() {
        double[] w = {0.999, 0.001};
        var carry = new double[2];
        int rows = 0, steps = 1000;
        for (int t = 0; t < steps; t++) rows += Apportion.countsWithCarry(w, 256, carry)[1];
        assertEquals(256, rows);
        assertEquals(0, Apportion.counts(w, 256)[1]);
    }

    /* (1/2, 1/2) at b = 1 alternates 0, 1, 0, 1 (tie to the lower index first, then the carried remainder decides). */
    @Test
    void countsWithCarry_pinnedAlternation() {
        var carry = new double[2];
        for (int t = 0; t < 6; t++) {
            int[] c = Apportion.countsWithCarry(new double[] {0.5, 0.5}, 1, carry);
            assertArrayEquals(t % 2 == 0 ? new int[] {1, 0} : new int[] {0, 1}, c, "step " + t);
        }
    }

    @Test
    void countsWithCarry_zeroWeightGetsNoRows() {
        var carry = new double[] {0.9, -0.4, -0.5};
        int[] c = Apportion.countsWithCarry(new double[] {0, 0.5, 0.5}, 3, carry);
        assertEquals(0, c[0]);
        assertEquals(0, carry[0]);
        assertEquals(3, sumInt(c));
    }

    static double sum(double[] w) {
        double s = 0;
        for (double x : w) s += x;
        return s;
    }

    static int sumInt(int[] c) {
        int s = 0;
        for (int x : c) s += x;
        return s;
    }
}
