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
 * R = Σ_k m_k micro-batch gradients as rows (domain-major, every tensor flattened in {@code names} order; every sum is
 * over all P entries), by one of two forms, each taking small float GEMM results into double before
 * {@link GradientStatsAccumulator#fromSums} applies the formulas:
 *
 * <ul>
 *   <li>{@link #fromGram}: one GEMM per chunk, the Gram X·Xᵀ [R, R]; the deviations follow from it by a subtraction,
 *       taken only where it keeps enough digits ({@link #MIN_DEVIATION_SHARE});
 *   <li>{@link #twoPass}: otherwise, the deviations from the gradient entries themselves (W·X, then its Gram), in
 *       column chunks of at most {@link #CHUNK} whose small results are summed in double.
 * </ul>
 *
 * Both run on ND4J ops (so also on the CUDA backend). When the model keeps its per-group gradients as the rows of one
 * [G, P] array ({@link GradientModel#groupGradientMatrix()}) X is a view of its leading R rows (no copy at all);
 * otherwise the rows are stacked into one [R, P] array first.
 *
 * <p>Why (2026-11-27, oneDNN build, tiny's R = 6, P = 1.44 M): ND4J copies a strided operand before its GEMM, so
 * column chunks of X (row stride P) cost 14–19 ms for the Gram alone whatever their width (2¹⁴ to 2²⁰, also as one
 * rank-3 batched matmul on a permuted view), against 2.2–2.6 ms for the one GEMM on the contiguous X; and the two-pass
 * form's W·X is memory-bound (22–30 ms). So the common case is one GEMM and a subtraction in double.
 *
 * <p>In a metric (robust-pike's {@code metric=adam}, mixer/ROBUST_PIKE.md) every inner product is ⟨x, y⟩_{D⁻¹} =
 * Σ_c x_c y_c / D_c: the same estimator on X' = X ⊙ d (d = D^(−1/2), every row scaled column-wise), one elementwise
 * pass into a scratch [R, P] array (the model's matrix is left as it is: the update is combined from it afterwards).
 * Without a metric X is used as it is (no copy).
 */
final class ArrayEstimator {
    /** The two-pass form's columns per chunk: bounds its scratch to (R + K)·CHUNK floats and its sums to CHUNK terms. */
    static final int CHUNK = 1 << 18;

    /**
     * The smallest share Σ‖g_i − ḡ_k‖² / Σ‖g_i‖² the one-GEMM form accepts. Its Gram sums all P products in one float
     * GEMM: relative error ≈ 1e-5 of Σ‖g_i‖² (1.06e-5 measured on tiny's P = 1.44 M), so at this share Σ‖g_i − ḡ_k‖²
     * keeps a relative error ≤ 2e-4 — far below the estimate's own sampling error at m_k = 2 (of order 1).
     */
    static final double MIN_DEVIATION_SHARE = 0.05;

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
        return estimate(rows, matrix, names, domainOf, K, seqs, loss, null);
    }

    /**
     * {@link #estimate} in the metric D⁻¹ given by its column scale {@code scale} = d = D^(−1/2) (a [P] array, the
     * layout of a row of X; null: the Euclidean metric): every ‖·‖², σ² and ⟨·,·⟩ is that of the rows X ⊙ d.
     */
    static GradientStats estimate(
            List<Map<String, INDArray>> rows,
            INDArray matrix,
            List<String> names,
            int[] domainOf,
            int K,
            int[] seqs,
            double[] loss,
            INDArray scale) {
        int R = rows.size();
        Checks.require(domainOf.length == R && R >= 2, "%d rows, %d domain labels", R, domainOf.length);
        var m = new int[K];
        for (int r = 0; r < R; r++) {
            Checks.require(r == 0 || domainOf[r] >= domainOf[r - 1], "rows must be grouped by domain");
            m[domainOf[r]]++;
        }
        long total = 0;
        for (String n : names) total += rows.get(0).get(n).length();
        boolean strided = matrix != null && matrix.rank() == 2 && matrix.size(0) >= R && matrix.size(1) == total;
        INDArray x = strided ? matrix.get(NDArrayIndex.interval(0, R), NDArrayIndex.all()) : stack(rows, names, total);
        boolean own = !strided;
        if (scale != null) {
            Checks.require(scale.length() == total, "metric of %d entries for %d parameters", scale.length(), total);
            INDArray d = scale.reshape(1, total).castTo(DataType.FLOAT);
            if (own) x.muliRowVector(d); // the stacked copy is ours: scale it in place
            else {
                x = x.mulRowVector(d); // a scratch: the model's matrix still feeds the update
                own = true;
            }
        }
        try {
            var sumSqDev = new double[K];
            var dots = new double[K][K];
            if (!fromGram(x, domainOf, m, sumSqDev, dots)) twoPass(x, total, domainOf, m, sumSqDev, dots);
            return GradientStatsAccumulator.fromSums(m, seqs, sumSqDev, dots, loss);
        } finally {
            if (own) x.close();
        }
    }

    /**
     * The one-GEMM form: G = X·Xᵀ [R, R] in one float GEMM over all P columns, then per domain
     * Σ_i ‖g_i − ḡ_k‖² = Σ_{i∈k} G_ii − (1/m_k)·Σ_{i,j∈k} G_ij and ⟨ḡ_k, ḡ_l⟩ = Σ_{i∈k, j∈l} G_ij / (m_k·m_l), in
     * double. The first formula subtracts two sums of squares: it loses about log10(1/ρ) digits, ρ = the deviations'
     * share Σ‖g_i − ḡ_k‖² / Σ‖g_i‖². Where some domain's ρ < {@link #MIN_DEVIATION_SHARE} (its micro-batch gradients
     * nearly agree) this returns false and the caller takes the two-pass form.
     */
    static boolean fromGram(INDArray x, int[] domainOf, int[] m, double[] sumSqDev, double[][] dots) {
        int R = domainOf.length, K = m.length;
        var g = new double[R][R];
        try (INDArray gram = Nd4j.create(DataType.FLOAT, R, R)) {
            matmul(x, x, gram, false, true, 1, 0); // X·Xᵀ over all P columns at once: X is contiguous, its chunks not
            float[] f = gram.data().asFloat();
            for (int i = 0; i < R; i++) for (int j = 0; j < R; j++) g[i][j] = f[i * R + j];
        }
        var sumSq = new double[K];
        var block = new double[K][K];
        for (int i = 0; i < R; i++) {
            sumSq[domainOf[i]] += g[i][i];
            for (int j = 0; j < R; j++) block[domainOf[i]][domainOf[j]] += g[i][j];
        }
        for (int k = 0; k < K; k++) {
            sumSqDev[k] = sumSq[k] - block[k][k] / m[k];
            if (!(sumSqDev[k] >= MIN_DEVIATION_SHARE * sumSq[k])) return false;
            for (int l = 0; l < K; l++) dots[k][l] = block[k][l] / ((double) m[k] * m[l]);
        }
        return true;
    }

    /**
     * The two-pass form, free of that cancellation: Z = W·X [R + K, c] per chunk, W = [I − E·A; A], so the first R
     * rows are the deviations D = X − E·M computed from the gradient entries themselves and the last K rows the means
     * M = A·X (A[k, r] = 1/m_k on the rows of domain k, E[r, k] = 1 when row r is of domain k); then Z·Zᵀ, whose
     * diagonal's first R entries are ‖g_r − ḡ_k‖² and whose trailing [K, K] block is ⟨ḡ_k, ḡ_l⟩. Two GEMMs per chunk,
     * the first of them memory-bound (it reads X and writes Z): 22–30 ms on tiny's shapes against the one-GEMM form's 2–3.
     */
    static void twoPass(INDArray x, long total, int[] domainOf, int[] m, double[] sumSqDev, double[][] dots) {
        int R = domainOf.length, K = m.length, Z = R + K;
        java.util.Arrays.fill(sumSqDev, 0);
        for (double[] d : dots) java.util.Arrays.fill(d, 0);
        var w = new float[Z][R]; // [I − E·A; A]
        for (int r = 0; r < R; r++) {
            int k = domainOf[r];
            for (int j = 0; j < R; j++) if (domainOf[j] == k) w[r][j] = -1f / m[k];
            w[r][r] += 1f;
            w[R + k][r] = 1f / m[k];
        }
        int width = (int) Math.min(CHUNK, total);
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
        }
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
