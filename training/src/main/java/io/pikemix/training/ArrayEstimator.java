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
 * ⟨ḡ_k, ḡ_l⟩) computed on the gradient arrays themselves, with no copy to {@code float[]}. Per tensor, in column
 * chunks of at most {@link #CHUNK}, with X [R, n] the R = Σ_k m_k micro-batch gradients as rows (domain-major):
 *
 *   M = A·X          [K, n]   per-domain means (A[k, r] = 1/m_k on the rows of domain k)
 *   D = X − E·M      [R, n]   deviations (E[r, k] = 1 when row r is of domain k): two-pass, no cancellation
 *   diag(D·Dᵀ)               ‖g_r − ḡ_k‖², summed per domain into Σ_i ‖g_i − ḡ_k‖²
 *   M·Mᵀ             [K, K]   ⟨ḡ_k, ḡ_l⟩
 *
 * three GEMMs and one copy per chunk, on ND4J ops (so also on the CUDA backend); the small [R, R] and [K, K]
 * results are summed over chunks and tensors in double, then {@link GradientStatsAccumulator#fromSums} applies the
 * formulas. When the model keeps its per-group gradients as the rows of one [G, P] array
 * ({@link GradientModel#groupGradientMatrix()}) X is a strided view of it (no copy at all); otherwise each tensor's
 * rows are stacked into one array first.
 */
final class ArrayEstimator {
    /** Columns per chunk: bounds the scratch to R·CHUNK floats and the float GEMM sums to CHUNK terms. */
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
        var a = new float[K][R];
        var e = new float[R][K];
        for (int r = 0; r < R; r++) {
            a[domainOf[r]][r] = 1f / m[domainOf[r]];
            e[r][domainOf[r]] = 1f;
        }
        long maxLen = 0, total = 0;
        for (String n : names) {
            long len = rows.get(0).get(n).length();
            maxLen = Math.max(maxLen, len);
            total += len;
        }
        boolean strided = matrix != null && matrix.rank() == 2 && matrix.size(0) >= R && matrix.size(1) == total;
        int width = (int) Math.min(CHUNK, maxLen);
        var sumSqDev = new double[K];
        var dots = new double[K][K];
        try (INDArray A = Nd4j.create(a);
                INDArray E = Nd4j.create(e);
                INDArray mBuf = Nd4j.create(DataType.FLOAT, (long) K * width);
                INDArray dBuf = Nd4j.create(DataType.FLOAT, (long) R * width);
                INDArray gramD = Nd4j.create(DataType.FLOAT, R, R);
                INDArray gramM = Nd4j.create(DataType.FLOAT, K, K)) {
            INDArray all = strided ? matrix.get(NDArrayIndex.interval(0, R), NDArrayIndex.all()) : null;
            long offset = 0;
            for (String name : names) {
                long len = rows.get(0).get(name).length();
                INDArray x = strided
                        ? all.get(NDArrayIndex.all(), NDArrayIndex.interval(offset, offset + len))
                        : stack(rows, name, len);
                for (long c0 = 0; c0 < len; c0 += width) {
                    long c = Math.min(width, len - c0);
                    INDArray xc = c == len ? x : x.get(NDArrayIndex.all(), NDArrayIndex.interval(c0, c0 + c));
                    INDArray mc = mBuf.get(NDArrayIndex.interval(0, K * c)).reshape('c', true, K, c);
                    INDArray dc = dBuf.get(NDArrayIndex.interval(0, R * c)).reshape('c', true, R, c);
                    matmul(A, xc, mc, false, false, 1, 0); // M = A·X
                    dc.assign(xc);
                    matmul(E, mc, dc, false, false, -1, 1); // D = X − E·M
                    matmul(dc, dc, gramD, false, true, 1, 0); // D·Dᵀ
                    matmul(mc, mc, gramM, false, true, 1, 0); // M·Mᵀ
                    float[] gd = gramD.data().asFloat(), gm = gramM.data().asFloat();
                    for (int r = 0; r < R; r++) sumSqDev[domainOf[r]] += gd[r * R + r];
                    for (int k = 0; k < K; k++) for (int l = 0; l < K; l++) dots[k][l] += gm[k * K + l];
                }
                if (!strided) x.close();
                offset += len;
            }
        }
        return GradientStatsAccumulator.fromSums(m, seqs, sumSqDev, dots, loss);
    }

    /** [R, len]: row r = rows.get(r)'s tensor {@code name}, flattened (a copy). */
    private static INDArray stack(List<Map<String, INDArray>> rows, String name, long len) {
        var parts = new INDArray[rows.size()];
        for (int r = 0; r < parts.length; r++) parts[r] = rows.get(r).get(name).reshape('c', 1, len);
        return Nd4j.vstack(parts);
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
