package io.pikemix.training.engine;

import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * How a pass's rows split into groups whose weight gradients are kept apart (paper eq. 2: per-domain,
 * per-micro-batch gradients from one pass). Rows only meet in the weight-gradient sums, so each weight's
 * gradient is one GEMM per contiguous row block (the FLOPs of the full-batch gradient), each LayerNorm gain's a
 * GEMV per block, the embedding's one {@code scatter_add} per block; the loss gradient of each row is scaled by
 * 1/(its group's tokens), so group g's gradient is that of its own mean loss.
 *
 * @param bounds row boundaries, 0 = b₀ < b₁ < … < b_G = n
 * @param grads  per group, the gradient views it is written into
 */
record Groups(int[] bounds, List<Map<String, INDArray>> grads) {
    int size() {
        return bounds.length - 1;
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
}
