package io.pikemix.mixer;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.UserException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SimplexTest {
    @Test
    void normalize_handWorked() {
        assertArrayEquals(new double[] {0.2, 0.3, 0.5}, Simplex.normalize(new double[] {2, 3, 5}, "w"), 1e-15);
        assertArrayEquals(new double[] {0, 1}, Simplex.normalize(new double[] {0, 7}, "w"), 0);
    }

    @Test
    void normalize_resultOnSimplexAndProportional() {
        var rnd = new SplittableRandom(5);
        for (int i = 0; i < 200; i++) {
            var v = new double[1 + rnd.nextInt(8)];
            for (int k = 0; k < v.length; k++) v[k] = rnd.nextDouble() < 0.2 ? 0 : rnd.nextDouble(0, 1e6);
            v[rnd.nextInt(v.length)] += 1;
            double[] w = Simplex.normalize(v, "w");
            Simplex.require(w);
            double sum = 0;
            for (double x : v) sum += x;
            for (int k = 0; k < v.length; k++) assertEquals(v[k] / sum, w[k], 1e-15);
        }
    }

    @Test
    void normalize_rejectsNegativeNonFiniteAndZeroSum_namingTheVector() {
        var e = assertThrows(UserException.class, () -> Simplex.normalize(new double[] {1, -1, 1}, "weights"));
        assertEquals("weights[1] = -1.0 must be finite and >= 0", e.getMessage());
        assertThrows(UserException.class, () -> Simplex.normalize(new double[] {1, Double.NaN}, "w"));
        assertTrue(assertThrows(UserException.class, () -> Simplex.normalize(new double[] {0, 0}, "--weights"))
                .getMessage()
                .startsWith("--weights sum to 0"));
        assertThrows(UserException.class, () -> Simplex.normalize(new double[0], "w"));
    }

    @Test
    void require_acceptsWithinToleranceOnly() {
        Simplex.require(new double[] {0.5, 0.5 + 0.9e-6});
        assertThrows(UserException.class, () -> Simplex.require(new double[] {0.5, 0.6}));
        assertThrows(UserException.class, () -> Simplex.require(new double[] {1.5, -0.5}));
    }
}
