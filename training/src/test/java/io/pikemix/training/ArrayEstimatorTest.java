package io.pikemix.training;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.GradientStatsAccumulator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/*
 * The estimator on arrays (GEMMs on float arrays, small results summed in double) against the streaming float[] path
 * of GradientStatsAccumulator (double throughout), on random gradients g = μ_k + τ·ε with a shared component, so that
 * the cross-domain dots are neither 0 nor trivial: K = 3 domains with m = 2, 3, 2 micro-batches, tensors of 35,
 * 300,001 (more than one column chunk, the last one short) and 33 entries. Both input layouts: separate arrays per
 * micro-batch (stacked by the estimator) and the rows of one [G, P] matrix with extra rows after the statistics ones
 * (strided views). Tolerances: see assertClose (the two-pass form to 1e-5 relative, the one-GEMM form to its float
 * error model).
 */
class ArrayEstimatorTest {
    static {
        io.pikemix.training.engine.NativeBackend.select();
    } // the build pike runs on (oneDNN where the CPU has AVX-512), before ND4J loads

    static final long[][] SHAPES = {{5, 7}, {300_001}, {33}};
    static final List<String> NAMES = List.of("a", "big", "c");

    @Test
    void estimate_matchesTheFloatArrayAccumulator_bothLayouts() {
        assertMatches(0.05, true);
    }

    /*
     * Micro-batch gradients that nearly agree (noise 1e-4 of the means' scale, deviations ≈ 1e-8 of Σ‖g_i‖²): the
     * one-GEMM form would lose every digit of Σ‖g_i − ḡ_k‖² to the subtraction, so it declines and the two-pass form
     * gives the same 1e-5 agreement with the double-precision accumulator.
     */
    @Test
    void nearlyAgreeingRows_takeTheTwoPassForm_andStayAccurate() {
        assertMatches(2e-6, false);
    }

    private static void assertMatches(double noiseSd, boolean gramForm) {
        int K = 3;
        int[] m = {2, 3, 2}, s = {4, 1, 2};
        int[] domainOf = {0, 0, 1, 1, 1, 2, 2};
        int R = domainOf.length;
        long P = 0;
        for (long[] sh : SHAPES) P += length(sh);
        var rnd = new SplittableRandom(11);
        float[] shared = gaussian(rnd, (int) P, 0.02);
        var values = new float[R][];
        var mu = new float[K][];
        for (int k = 0; k < K; k++) {
            mu[k] = gaussian(rnd, (int) P, 0.01 * (k + 1));
            for (int j = 0; j < P; j++) mu[k][j] += shared[j];
        }
        for (int r = 0; r < R; r++) {
            float[] noise = gaussian(rnd, (int) P, noiseSd);
            values[r] = new float[(int) P];
            for (int j = 0; j < P; j++) values[r][j] = mu[domainOf[r]][j] + noise[j];
        }
        double[] loss = {1.5, 2.5, 3.5};

        // reference: the streaming accumulator on float[] slices, tensor by tensor
        var acc = new GradientStatsAccumulator(m, s);
        int offset = 0;
        for (long[] sh : SHAPES) {
            int len = (int) length(sh);
            var seen = new int[K];
            for (int r = 0; r < R; r++) acc.add(domainOf[r], seen[domainOf[r]]++, values[r], offset, len);
            acc.endTensor();
            offset += len;
        }
        GradientStats want = acc.finish(loss);

        // separate arrays per micro-batch
        var separate = new ArrayList<Map<String, INDArray>>();
        for (int r = 0; r < R; r++) separate.add(tensors(Nd4j.createFromArray(values[r])));
        // Σ_{i∈k} ‖g_i‖², the scale of the one-GEMM form's float error
        var sumSq = new double[K];
        for (int r = 0; r < R; r++) for (float v : values[r]) sumSq[domainOf[r]] += (double) v * v;
        double[] gram = gramForm ? sumSq : null;
        assertClose(want, ArrayEstimator.estimate(separate, null, NAMES, domainOf, K, s, loss), gram);

        // rows of one [G, P] matrix, two more rows (other groups) after the statistics rows
        INDArray matrix = Nd4j.create(DataType.FLOAT, R + 2, P);
        var views = new ArrayList<Map<String, INDArray>>();
        for (int r = 0; r < R + 2; r++) {
            INDArray row = matrix.get(NDArrayIndex.point(r), NDArrayIndex.all());
            row.assign(Nd4j.createFromArray(r < R ? values[r] : gaussian(rnd, (int) P, 5)));
            if (r < R) views.add(tensors(row));
        }
        assertClose(want, ArrayEstimator.estimate(views, matrix, NAMES, domainOf, K, s, loss), gram);

        // which form ran
        INDArray x = matrix.get(NDArrayIndex.interval(0, R), NDArrayIndex.all());
        assertEquals(gramForm, ArrayEstimator.fromGram(x, domainOf, m, new double[K], new double[K][K]));
    }

    private static Map<String, INDArray> tensors(INDArray flat) {
        var out = new LinkedHashMap<String, INDArray>();
        long offset = 0;
        for (int i = 0; i < SHAPES.length; i++) {
            long len = length(SHAPES[i]);
            out.put(
                    NAMES.get(i),
                    flat.get(NDArrayIndex.interval(offset, offset + len)).reshape('c', SHAPES[i]));
            offset += len;
        }
        return out;
    }

    /**
     * The two-pass form: every ‖·‖² and ⟨·,·⟩ within 1e-5 × max_k ‖ḡ_k‖², σ² within 1e-5 × σ², cosines within 1e-5.
     * The one-GEMM form ({@code sumSq} = Σ_{i∈k} ‖g_i‖² per domain): its one float GEMM over all P products errs by
     * ≈ 1e-5 of Σ‖g_i‖² (ArrayEstimator.MIN_DEVIATION_SHARE), so each quantity is held to 3e-5 of the second moments it
     * is formed from: ⟨ḡ_k, ḡ_l⟩ to 3e-5·√(S_k S_l)/(m_k m_l), σ² to 3e-5·s_k·S_k/(m_k − 1), ‖∇L_k‖² to both terms'.
     */
    private static void assertClose(GradientStats want, GradientStats got, double[] sumSq) {
        int K = want.size();
        double scale = 0;
        for (double x : want.meanGradNormSq()) scale = Math.max(scale, x);
        assertArrayEquals(want.microBatches(), got.microBatches());
        assertArrayEquals(want.sequences(), got.sequences());
        assertArrayEquals(want.loss(), got.loss(), 0);
        int[] m = want.microBatches();
        var dotTol = new double[K][K];
        var varTol = new double[K];
        for (int k = 0; k < K; k++) {
            long s = want.sequences()[k] / m[k];
            varTol[k] = sumSq == null ? 1e-5 * want.gradVar()[k] : 3e-5 * s * sumSq[k] / (m[k] - 1);
            for (int l = 0; l < K; l++)
                dotTol[k][l] = sumSq == null ? 1e-5 * scale : 3e-5 * Math.sqrt(sumSq[k] * sumSq[l]) / (m[k] * m[l]);
        }
        for (int k = 0; k < K; k++) {
            long s = want.sequences()[k] / m[k];
            double normTol = sumSq == null ? 1e-5 * scale : dotTol[k][k] + varTol[k] / (s * m[k]);
            assertEquals(want.meanGradNormSq()[k], got.meanGradNormSq()[k], dotTol[k][k], "‖ḡ‖² of domain " + k);
            assertEquals(want.gradNormSq()[k], got.gradNormSq()[k], normTol, "‖∇L‖² of domain " + k);
            assertEquals(want.gradVar()[k], got.gradVar()[k], varTol[k], "σ² of domain " + k);
            for (int l = 0; l < K; l++) {
                double tol = k == l ? normTol : dotTol[k][l];
                assertEquals(want.innerProducts()[k][l], got.innerProducts()[k][l], tol, "⟨g_" + k + ", g_" + l + "⟩");
                double cosTol = sumSq == null
                        ? 1e-5
                        : 2 * dotTol[k][l] / Math.sqrt(want.meanGradNormSq()[k] * want.meanGradNormSq()[l]);
                assertEquals(want.cosine()[k][l], got.cosine()[k][l], cosTol, "cosine " + k + ", " + l);
            }
        }
        assertTrue(want.innerProducts()[0][1] > 0.1 * scale, "the shared component makes the cross dots non-trivial");
    }

    private static float[] gaussian(SplittableRandom rnd, int n, double sd) {
        var out = new float[n];
        for (int i = 0; i < n; i++)
            out[i] = (float)
                    (sd * Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble()));
        return out;
    }

    private static long length(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
