package io.pikemix.training.engine;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * How a pass's rows split into groups whose weight gradients are kept apart (paper eq. 2: per-domain,
 * per-micro-batch gradients from one pass). Rows only meet in the weight-gradient sums, so each weight's
 * gradient is one GEMM per contiguous row block (the FLOPs of the full-batch gradient), the LayerNorm gains' one
 * group-indicator GEMM for all groups, the embedding's one {@code scatter_add} per block; the loss gradient of each
 * row is scaled by 1/(its group's tokens), so group g's gradient is that of its own mean loss.
 */
final class Groups implements AutoCloseable {
    private final int[] bounds;
    private final List<Map<String, INDArray>> grads;
    private final INDArray matrix; // [G, P]: row g is group g's gradient (all of grads.get(g)); null for one group
    private final Map<Long, INDArray> indicators = new HashMap<>(); // per array rows per batch row: [G, n·per]

    /**
     * @param bounds row boundaries, 0 = b₀ < b₁ < … < b_G = n
     * @param grads  per group, the gradient views it is written into
     * @param matrix null for one group; else the [G, P] array whose rows hold the groups' gradients (each map's
     *               views lie in its row, at the same offsets in every row)
     */
    Groups(int[] bounds, List<Map<String, INDArray>> grads, INDArray matrix) {
        this.bounds = bounds.clone();
        this.grads = grads;
        this.matrix = matrix;
    }

    int size() {
        return bounds.length - 1;
    }

    int[] bounds() {
        return bounds.clone();
    }

    List<Map<String, INDArray>> grads() {
        return grads;
    }

    /** Rows [b_g·per, b_(g+1)·per) of a 2-D array whose batch row spans {@code per} array rows. */
    INDArray rows(INDArray a, int g, long per) {
        return a.get(NDArrayIndex.interval(bounds[g] * per, bounds[g + 1] * per), NDArrayIndex.all());
    }

    /** Elements [b_g·per, b_(g+1)·per) of a 1-D array. */
    INDArray range(INDArray a, int g, long per) {
        return a.get(NDArrayIndex.interval(bounds[g] * per, bounds[g + 1] * per));
    }

    /** [1, len] ones for group g (len = its array rows), from a long enough 1-D array of ones. */
    INDArray ones(INDArray ones, int g, long per) {
        long len = (bounds[g + 1] - bounds[g]) * per;
        return ones.get(NDArrayIndex.interval(0, len)).reshape('c', true, 1, len);
    }

    /** Appends dW_g = X_gᵀ·dY_g for every group (X, dY: [N·per/T…, ·] arrays whose batch row spans {@code per} rows). */
    void weightGradient(Call.Seq b, INDArray x, INDArray dy, String name, long per) {
        for (int g = 0; g < size(); g++)
            b.add(Call.matmul(rows(x, g, per), rows(dy, g, per), grads.get(g).get(name), true, false, 1, 0));
    }

    /**
     * Appends the column sums of each group's row block of {@code temp} [n·per, W] into the 1-D tensor {@code name}
     * of every group (a LayerNorm gain's gradient): one GEMM I·temp with the group indicator I [G, n·per] (I_gr = 1
     * when row r is in group g) written straight into the [G, W] column block of the group matrix — one call and one
     * read of temp instead of a GEMV per group.
     */
    void columnSums(Call.Seq b, INDArray temp, String name, long per, INDArray ones) {
        if (matrix == null) {
            INDArray dg = grads.get(0).get(name);
            b.add(Call.matmul(ones(ones, 0, per), temp, dg.reshape('c', true, 1, dg.length()), false, false, 1, 0));
            return;
        }
        INDArray first = grads.get(0).get(name);
        long offset = first.offset() - matrix.offset(), width = first.length();
        INDArray out = matrix.get(NDArrayIndex.all(), NDArrayIndex.interval(offset, offset + width)); // [G, W]
        b.add(Call.matmul(indicator(per), temp, out, false, false, 1, 0));
    }

    private INDArray indicator(long per) {
        return indicators.computeIfAbsent(per, p -> {
            int G = size();
            INDArray ind = Nd4j.create(DataType.FLOAT, G, bounds[G] * p);
            for (int g = 0; g < G; g++)
                ind.get(NDArrayIndex.point(g), NDArrayIndex.interval(bounds[g] * p, bounds[g + 1] * p))
                        .assign(1);
            return ind;
        });
    }

    @Override
    public void close() {
        for (INDArray a : indicators.values()) a.close();
        indicators.clear();
    }
}
