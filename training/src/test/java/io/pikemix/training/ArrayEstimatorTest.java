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
 * (strided views). Tolerance 1e-5 relative: each ‖·‖² and ⟨·,·⟩ within 1e-5 × max_k ‖ḡ_k‖², each σ² within 1e-5 × σ².
 */
class ArrayEstimatorTest {
    static {
        io.pikemix.training.engine.NativeBackend.select();
    } // the build pike runs on (oneDNN where the CPU has AVX-512), before ND4J loads

    static final long[][] SHAPES = {{5, 7}, {300_001}, {33}};
    static final List<String> NAMES = List.of("a", "big", "c");

    @Test
    void estimate_matchesTheFloatArrayAccumulator_bothLayouts() {
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
            float[] noise = gaussian(rnd, (int) P, 0.05);
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
        assertClose(want, ArrayEstimator.estimate(separate, null, NAMES, domainOf, K, s, loss));

        // rows of one [G, P] matrix, two more rows (other groups) after the statistics rows
        INDArray matrix = Nd4j.create(DataType.FLOAT, R + 2, P);
        var views = new ArrayList<Map<String, INDArray>>();
        for (int r = 0; r < R + 2; r++) {
            INDArray row = matrix.get(NDArrayIndex.point(r), NDArrayIndex.all());
            row.assign(Nd4j.createFromArray(r < R ? values[r] : gaussian(rnd, (int) P, 5)));
            if (r < R) views.add(tensors(row));
        }
        assertClose(want, ArrayEstimator.estimate(views, matrix, NAMES, domainOf, K, s, loss));
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

    private static void assertClose(GradientStats want, GradientStats got) {
        int K = want.size();
        double scale = 0;
        for (double x : want.meanGradNormSq()) scale = Math.max(scale, x);
        assertArrayEquals(want.microBatches(), got.microBatches());
        assertArrayEquals(want.sequences(), got.sequences());
        assertArrayEquals(want.loss(), got.loss(), 0);
        for (int k = 0; k < K; k++) {
            assertEquals(want.meanGradNormSq()[k], got.meanGradNormSq()[k], 1e-5 * scale, "‖ḡ‖² of domain " + k);
            assertEquals(want.gradNormSq()[k], got.gradNormSq()[k], 1e-5 * scale, "‖∇L‖² of domain " + k);
            assertEquals(want.gradVar()[k], got.gradVar()[k], 1e-5 * want.gradVar()[k], "σ² of domain " + k);
            for (int l = 0; l < K; l++) {
                assertEquals(
                        want.innerProducts()[k][l],
                        got.innerProducts()[k][l],
                        1e-5 * scale,
                        "⟨g_" + k + ", g_" + l + "⟩");
                assertEquals(want.cosine()[k][l], got.cosine()[k][l], 1e-5, "cosine " + k + ", " + l);
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
