package io.pikemix.training;

import io.pikemix.format.Checks;
import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.GradientStatsAccumulator;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * PiKE's per-domain gradient statistics (the estimator of {@link GradientStatsAccumulator}: ‖ḡ‖² − v/m, σ² = s·v,
 * ⟨ḡ_k, ḡ_l⟩) computed on the gradient arrays themselves, with no copy to {@code float[]}. With X [R, P] the
 * R = Σ_k m_k micro-batch gradients as rows (domain-major, every tensor flattened in {@code names} order), in column
 * chunks of at most {@link #CHUNK} over the whole flat gradient (chunks run across tensor boundaries; every sum is
 * over all P entries):
 *
 *   Z = W·X          [R + K, c]   W = [I − E·A; A]: the first R rows are the deviations D = X − E·M (two-pass: each
 *                                 entry from the gradient entries themselves, no cancellation), the last K rows the
 *                                 per-domain means M = A·X (A[k, r] = 1/m_k on the rows of domain k, E[r, k] = 1
 *                                 when row r is of domain k)
 *   Z·Zᵀ             [R + K, R + K]   its diagonal's first R entries are ‖g_r − ḡ_k‖² (summed per domain into
 *                                 Σ_i ‖g_i − ḡ_k‖²), its trailing [K, K] block ⟨ḡ_k, ḡ_l⟩
 *
 * two GEMMs per chunk into one dense [R + K, c] scratch, on ND4J ops (so also on the CUDA backend); the small
 * results are summed over chunks in double, then {@link GradientStatsAccumulator#fromSums} applies the formulas.
 * The GEMM inner dimension of W·X is R, and each Gram sums at most CHUNK products in float. When the model keeps its
 * per-group gradients as the rows of one [G, P] array ({@link GradientModel#groupGradientMatrix()}) X is a view of
 * its leading R rows (no copy at all); otherwise the rows are stacked into one [R, P] array first.
 *
 * <p>Why this form (2026-11-27, oneDNN build): the earlier per-tensor chunks ran three GEMMs and a copy on column
 * views of X, whose strided operands oneDNN runs slowly (131–245 ms for tiny's R = 6, P = 1.44 M under load, against
 * 2–5 ms for the same Gram on a dense array); one GEMM over all of P on dense arrays is fast but sums 1.4 M products
 * in float (relative error 1.6e-5 measured), so the chunks stay, dense.
 */
final class ArrayEstimator {
    /** Columns per chunk: bounds the scratch to (R + K)·CHUNK floats and the float GEMM sums to CHUNK terms. */
    static final int CHUNK = 1 << 18;

    private ArrayEstimator() {}

    /**
     * @param rows      per micro-batch (domain-major: domain 0's m_0 micro-batches, then domain 1's, …) its gradient by name
     * @param matrix    null, or a [≥ R, P] array whose row r holds rows.get(r)'s tensors flattened in {@code names} order
     * @param domainOf  the domain of each row
     * @param seqs      s_k, sequences per micro-batch of domain k
     * @param loss      per-domain mean loss carried into the result (may be null)
     */
    static GradientStats estimate(
            List<Map<String, INDArray>> rows,
            INDArray matrix,
            List<String> names,
            int[] domainOf,
            int K,
            int[] seqs,
            double[] loss) {
        int R = rows.size();
        Checks.require(domainOf.length == R && R >= 2, "%d rows, %d domain labels", R, domainOf.length);
        var m = new int[K];
        for (int r = 0; r < R; r++) {
            Checks.require(r == 0 || domainOf[r] >= domainOf[r - 1], "rows must be grouped by domain");
            m[domainOf[r]]++;
        }
        int Z = R + K;
        var w = new float[Z][R]; // [I − E·A; A]
        for (int r = 0; r < R; r++) {
            int k = domainOf[r];
            for (int j = 0; j < R; j++) if (domainOf[j] == k) w[r][j] = -1f / m[k];
            w[r][r] += 1f;
            w[R + k][r] = 1f / m[k];
        }
        long total = 0;
        for (String n : names) total += rows.get(0).get(n).length();
        boolean strided = matrix != null && matrix.rank() == 2 && matrix.size(0) >= R && matrix.size(1) == total;
        int width = (int) Math.min(CHUNK, total);
        var sumSqDev = new double[K];
        var dots = new double[K][K];
        INDArray x = strided ? matrix.get(NDArrayIndex.interval(0, R), NDArrayIndex.all()) : stack(rows, names, total);
        try (INDArray W = Nd4j.create(w);
                INDArray zBuf = Nd4j.create(DataType.FLOAT, (long) Z * width);
                INDArray gram = Nd4j.create(DataType.FLOAT, Z, Z)) {
            for (long c0 = 0; c0 < total; c0 += width) {
                long c = Math.min(width, total - c0);
                INDArray xc = c == total ? x : x.get(NDArrayIndex.all(), NDArrayIndex.interval(c0, c0 + c));
                INDArray zc = zBuf.get(NDArrayIndex.interval(0, Z * c)).reshape('c', true, Z, c);
                matmul(W, xc, zc, false, false, 1, 0); // [D; M] = W·X
                matmul(zc, zc, gram, false, true, 1, 0); // Z·Zᵀ
                float[] g = gram.data().asFloat();
                for (int r = 0; r < R; r++) sumSqDev[domainOf[r]] += g[r * Z + r];
                for (int k = 0; k < K; k++) for (int l = 0; l < K; l++) dots[k][l] += g[(R + k) * Z + R + l];
            }
        } finally {
            if (!strided) x.close();
        }
        return GradientStatsAccumulator.fromSums(m, seqs, sumSqDev, dots, loss);
    }

    /** [R, P]: row r = rows.get(r)'s tensors flattened in {@code names} order (a copy). */
    private static INDArray stack(List<Map<String, INDArray>> rows, List<String> names, long total) {
        INDArray out = Nd4j.create(DataType.FLOAT, rows.size(), total);
        for (int r = 0; r < rows.size(); r++) {
            long offset = 0;
            for (String n : names) {
                INDArray t = rows.get(r).get(n);
                long len = t.length();
                out.get(NDArrayIndex.point(r), NDArrayIndex.interval(offset, offset + len))
                        .assign(t.reshape(len).castTo(DataType.FLOAT)); // reshape('c', len) and ravel('c') hit M2.1's
                // reshape(long...) with 'c' as 99
                offset += len;
            }
        }
        return out;
    }

    /** z = alpha·op(x)·op(y) + beta·z (ND4J's {@code matmul}: iArgs transX, transY, transZ; tArgs alpha, beta). */
    private static void matmul(INDArray x, INDArray y, INDArray z, boolean tx, boolean ty, double alpha, double beta) {
        Nd4j.exec(DynamicCustomOp.builder("matmul")
                .addInputs(x, y)
                .addOutputs(z)
                .addIntegerArguments(tx ? 1 : 0, ty ? 1 : 0, 0)
                .addFloatingPointArguments(alpha, beta)
                .build());
    }
}
