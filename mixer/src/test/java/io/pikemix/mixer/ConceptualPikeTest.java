package io.pikemix.mixer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConceptualPikeTest {

    /*
     * Eq. (10) by hand. λ = (−2, −1), κ = (2, 2): both active, w_k = −(μ + λ_k)/κ_k gives
     * (2 − μ)/2 + (1 − μ)/2 = 1  ⇒  μ = 1/2  ⇒  w = (3/4, 1/4).
     * λ = (−4, 0), κ = (1, 1): both active would need μ = 3/2 and w_2 = −3/2 < 0, so only domain 0 is active:
     * w_1 = −(μ − 4) = 1 ⇒ μ = 3, w_2 = max{0, −3} = 0  ⇒  w = (1, 0).
     */
    @Test
    void solve_handDerived() {
        assertArrayEquals(
                new double[] {0.75, 0.25}, ConceptualPike.solve(new double[] {-2, -1}, new double[] {2, 2}), 1e-12);
        assertArrayEquals(new double[] {1, 0}, ConceptualPike.solve(new double[] {-4, 0}, new double[] {1, 1}), 1e-12);
    }

    /*
     * κ below the ulp of λ (found by MixerPropertiesTest with K = 1, ‖∇L‖² ≈ 1e-10 against σ² ≈ 1e8): −λ − κ rounds to
     * −λ and the exact-μ step saw an empty active set (weights NaN). The limit κ → 0 is the linear problem
     * min Σ w_k λ_k: all weight on the smallest λ, ties shared; with K = 1, w = [1].
     */
    @Test
    void solve_kappaBelowTheUlpOfLambda_isTheLinearLimit() {
        assertArrayEquals(new double[] {1}, ConceptualPike.solve(new double[] {5e7}, new double[] {1e-12}), 0);
        assertArrayEquals(
                new double[] {0.5, 0, 0.5},
                ConceptualPike.solve(new double[] {5e7, 6e7, 5e7}, new double[] {1e-12, 1e-12, 1e-12}),
                0);
    }

    /*
     * Algorithm 2 line 5 by hand, η = L = β = γ = b = 1, ‖∇L‖² = (2, 2), σ² = (2, 4):
     *   λ_k = −ηβ‖∇L_k‖² + Lη²σ_k²/(2b) = (−2 + 1, −2 + 2) = (−1, 0),  κ_k = Lη²γ‖∇L_k‖² = (2, 2)
     *   (1 − μ)/2 + (−μ)/2 = 1  ⇒  μ = −1/2  ⇒  w = (3/4, 1/4).
     */
    @Test
    void step_handDerivedFromStatistics() {
        var p = new ConceptualParams(1, 1, 1, 0, 1, 1, 1);
        assertArrayEquals(
                new double[] {0.75, 0.25},
                ConceptualPike.step(new double[] {0.5, 0.5}, new double[] {2, 2}, new double[] {2, 4}, p),
                1e-12);
    }

    /* Eq. (8): β = min_k (1 + c̲(−K + 2 − 1/w_k)); K = 3, c̲ = 0.1, w = (0.5, 0.25, 0.25): 1 + 0.1(−1 − 4) = 0.5. γ = 1 + c̄(K−1). */
    @Test
    void betaGamma_eq8() {
        assertEquals(0.5, ConceptualPike.beta(0.1, new double[] {0.5, 0.25, 0.25}), 1e-12);
        assertEquals(1, ConceptualPike.beta(0, new double[] {0.5, 0.25, 0.25}), 0);
        assertEquals(2.2, ConceptualPike.gamma(0.6, 3), 1e-12);
    }

    /* The KKT point of eq. (10) against a brute-force minimisation of eq. (9) over a 1/400 grid of the simplex, K = 3. */
    @Test
    void solve_matchesBruteForceMinimisationOfEq9() {
        var rnd = new SplittableRandom(5);
        int grid = 400;
        for (int trial = 0; trial < 25; trial++) {
            double[] lambda = new double[3], kappa = new double[3];
            randomInstance(rnd, lambda, kappa);
            double[] w = ConceptualPike.solve(lambda, kappa);
            PikeUpdateTest.assertOnSimplex(w);
            double fw = ConceptualPike.objective(w, lambda, kappa);
            double best = Double.POSITIVE_INFINITY;
            for (int i = 0; i <= grid; i++)
                for (int j = 0; i + j <= grid; j++) {
                    double[] c = {(double) i / grid, (double) j / grid, (double) (grid - i - j) / grid};
                    best = Math.min(best, ConceptualPike.objective(c, lambda, kappa));
                }
            assertTrue(fw <= best + 1e-12 * Math.abs(best), "KKT point " + fw + " vs grid " + best);
        }
    }

    /* Random simplex points (K up to 8) never beat the KKT point, and the KKT conditions of Lemma F.2 hold. */
    @Test
    void solve_satisfiesKktAndBeatsRandomPoints() {
        var rnd = new SplittableRandom(9);
        for (int trial = 0; trial < 200; trial++) {
            int K = 2 + rnd.nextInt(7);
            double[] lambda = new double[K], kappa = new double[K];
            randomInstance(rnd, lambda, kappa);
            double[] w = ConceptualPike.solve(lambda, kappa);
            PikeUpdateTest.assertOnSimplex(w);
            // stationarity: λ_k + κ_k w_k = −μ on the active set, ≥ −μ off it
            double mu = Double.NaN;
            for (int k = 0; k < K; k++)
                if (w[k] > 1e-9) {
                    mu = -(lambda[k] + kappa[k] * w[k]);
                    break;
                }
            double scale = 0;
            for (int k = 0; k < K; k++) scale = Math.max(scale, Math.abs(lambda[k]) + kappa[k]);
            for (int k = 0; k < K; k++) {
                double g = lambda[k] + kappa[k] * w[k] + mu;
                if (w[k] > 1e-9) assertEquals(0, g, 1e-9 * scale);
                else assertTrue(g >= -1e-9 * scale, "inactive domain has non-negative reduced gradient");
            }
            double fw = ConceptualPike.objective(w, lambda, kappa);
            for (int r = 0; r < 500; r++) {
                double[] c = PikeUpdateTest.randomSimplex(rnd, K);
                assertTrue(fw <= ConceptualPike.objective(c, lambda, kappa) + 1e-12 * scale);
            }
        }
    }

    /** λ, κ as Algorithm 2 builds them from random statistics and constants. */
    private static void randomInstance(SplittableRandom rnd, double[] lambda, double[] kappa) {
        double eta = rnd.nextDouble(0.05, 1),
                L = rnd.nextDouble(0.5, 10),
                beta = rnd.nextDouble(0.2, 1),
                gamma = rnd.nextDouble(1, 3);
        int b = 1 + rnd.nextInt(32);
        for (int k = 0; k < lambda.length; k++) {
            double n = rnd.nextDouble(0.05, 3), v = rnd.nextDouble(0.1, 60);
            lambda[k] = -eta * beta * n + L * eta * eta * v / (2.0 * b);
            kappa[k] = L * eta * eta * gamma * n;
        }
    }
}
