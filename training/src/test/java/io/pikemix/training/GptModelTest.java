package io.pikemix.training;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GptModelTest {
    static {
        io.pikemix.training.engine.NativeBackend.select();
    } // the build pike runs on (oneDNN where the CPU has AVX-512), before ND4J loads

    static final GptConfig TINY = new GptConfig(64, 8, 1, 2, 16, 1e-6);

    static Batch randomBatch(SplittableRandom rnd, int rows, int T, int V) {
        var r = new int[rows][T + 1];
        for (int[] row : r) for (int i = 0; i <= T; i++) row[i] = rnd.nextInt(V);
        return Batch.of(r, T);
    }

    static double meanLoss(GradientModel m, Batch b) {
        double s = 0;
        for (float x : m.tokenLosses(b)) s += x;
        return s / b.inputs().length;
    }

    static double central(GradientModel m, Batch b, INDArray p, INDArray dir, double h) {
        p.addi(dir.mul(h));
        double up = meanLoss(m, b);
        p.subi(dir.mul(2 * h));
        double down = meanLoss(m, b);
        p.addi(dir.mul(h));
        return (up - down) / (2 * h);
    }

    /*
     * Finite differences in float32: for each parameter tensor p, the derivative of the mean loss along the unit
     * direction d = g_p/‖g_p‖ (analytic value ‖g_p‖) and along a random unit direction r (analytic ⟨g_p, r⟩),
     * by central differences with steps 1e-2 and 2e-2 combined by Richardson extrapolation (error O(h⁴)). Tolerance: |fd − analytic| ≤ 2e-2·‖g_p‖ + 1e-4.
     */
    @Test
    void gradient_matchesFiniteDifferencesOnTinyModel() {
        try (var m = GptModel.initialize(TINY, 3)) {
            checkFiniteDifferences(m, randomBatch(new SplittableRandom(5), 3, TINY.context(), TINY.vocabSize()));
        }
    }

    static void checkFiniteDifferences(GradientModel m, Batch b) {
        try (var g = m.gradient(b)) {
            assertEquals(meanLoss(m, b), g.loss(), 1e-5, "loss output = mean of token losses");
            var rnd = new SplittableRandom(9);
            for (String name : m.parameterNames()) {
                INDArray p = m.parameters().get(name), grad = g.gradients().get(name);
                double norm = grad.norm2Number().doubleValue();
                INDArray r = Nd4j.randn(p.dataType(), p.shape());
                r.divi(r.norm2Number());
                for (INDArray dir : new INDArray[] {grad.div(norm), r}) {
                    double analytic = grad.mul(dir).sumNumber().doubleValue();
                    double fd = (4 * central(m, b, p, dir, 1e-2) - central(m, b, p, dir, 2e-2)) / 3; // Richardson
                    assertEquals(analytic, fd, 2e-2 * norm + 1e-4, name + " (‖g‖ = " + norm + ")");
                }
            }
        }
    }

    @Test
    void logits_atPositionsBeforeJ_unchangedWhenTokenJChanges() {
        try (var m = GptModel.initialize(TINY, 4)) {
            checkCausal(m);
        }
    }

    static void checkCausal(GradientModel m) {
        var rnd = new SplittableRandom(11);
        int T = m.config().context(), V = m.config().vocabSize();
        for (int trial = 0; trial < 4; trial++) {
            var rows = new int[2][T + 1];
            for (int[] r : rows) for (int i = 0; i <= T; i++) r[i] = rnd.nextInt(V);
            INDArray before = m.logits(Batch.of(rows, T)); // [2·T, V]
            int j = 1 + rnd.nextInt(T - 1);
            rows[1][j] = (rows[1][j] + 1 + rnd.nextInt(V - 1)) % V;
            INDArray after = m.logits(Batch.of(rows, T));
            for (int t = 0; t < T; t++) {
                double d0 = before.getRow(t).sub(after.getRow(t)).amaxNumber().doubleValue(); // row 0: untouched
                double d1 = before.getRow(T + t)
                        .sub(after.getRow(T + t))
                        .amaxNumber()
                        .doubleValue(); // row 1: token j changed
                assertEquals(0, d0, 1e-6, "row 0 position " + t);
                if (t < j) assertEquals(0, d1, 1e-6, "position " + t + " < j = " + j + " saw token j");
                if (t == j) assertTrue(d1 > 1e-4, "position j = " + j + " must see its own token");
            }
        }
    }

    /** rope(x) at position t, computed from the graph's constant tables. */
    static float[] rope(float[] x, int t, int T, int D) {
        float[] cos = RotaryTables.cos(T, 1, D).data().asFloat(),
                sin = RotaryTables.sin(T, 1, D).data().asFloat();
        INDArray rotated = Nd4j.create(x, new long[] {1, D}, 'c').mmul(RotaryTables.rotateHalf(D));
        var out = new float[D];
        for (int j = 0; j < D; j++) out[j] = x[j] * cos[t * D + j] + rotated.getFloat(0, j) * sin[t * D + j];
        return out;
    }

    @Test
    void rotary_scoreDependsOnRelativePositionOnly() {
        int T = 64, D = 16;
        var rnd = new SplittableRandom(3);
        for (int trial = 0; trial < 20; trial++) {
            var q = new float[D];
            var k = new float[D];
            for (int j = 0; j < D; j++) {
                q[j] = (float) (rnd.nextDouble() * 2 - 1);
                k[j] = (float) (rnd.nextDouble() * 2 - 1);
            }
            int t = rnd.nextInt(T), s = rnd.nextInt(T), shift = rnd.nextInt(T - Math.max(t, s)) - Math.min(t, s);
            double a = dot(rope(q, t, T, D), rope(k, s, T, D));
            double b = dot(rope(q, t + shift, T, D), rope(k, s + shift, T, D));
            assertEquals(a, b, 1e-4, "t " + t + ", s " + s + ", shift " + shift);
            if (t != s) assertNotEquals(dot(q, k), a, 1e-6, "rotation must matter when t != s");
        }
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    @Test
    void parameterCount_matchesSpecs() {
        long n = 0;
        for (var p : GptModel.specs(TINY)) {
            long c = 1;
            for (long d : p.shape()) c *= d;
            n += c;
        }
        assertEquals(TINY.parameterCount(), n);
    }
}
