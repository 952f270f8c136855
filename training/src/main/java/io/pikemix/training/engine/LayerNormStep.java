package io.pikemix.training.engine;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarAdd;
import org.nd4j.linalg.api.ops.impl.transforms.floating.RSqrt;

/**
 * LayerNorm over the last axis of a contiguous [M, W] array, gain only (no bias):
 *
 *   μ = mean(x),  σ² = mean((x − μ)²),  r = 1/√(σ² + ε),  x̂ = (x − μ)·r,  y = g ⊙ x̂          (per row)
 *
 * Row means are GEMVs with a constant [W, 1] column of 1/W; the variance is two-pass (centred first).
 * x̂ and r are kept for the backward pass. ε = 0 reproduces M2.1's {@code layer_norm} (no epsilon).
 */
final class LayerNormStep {
    private final INDArray x, g, y, xhat, rstd, column, meanTemp;
    private final double eps;

    /**
     * @param column   [W, 1] of 1/W
     * @param meanTemp [M, 1] scratch
     */
    LayerNormStep(
            INDArray x,
            INDArray g,
            INDArray y,
            INDArray xhat,
            INDArray rstd,
            INDArray column,
            INDArray meanTemp,
            double eps) {
        this.x = x;
        this.g = g;
        this.y = y;
        this.xhat = xhat;
        this.rstd = rstd;
        this.column = column;
        this.meanTemp = meanTemp;
        this.eps = eps;
    }

    void forward(Call.Seq f) {
        f.add(Call.matmul(x, column, meanTemp, false, false, 1, 0)); // μ      [M, 1]
        f.add(Call.pairwise("subtract", x, meanTemp, xhat)); // x − μ  [M, W]
        f.add(Call.pairwise("multiply", xhat, xhat, y)); // (x − μ)², y as scratch
        f.add(Call.matmul(y, column, rstd, false, false, 1, 0)); // σ²     [M, 1]
        f.add(Call.legacy(new ScalarAdd(rstd, null, rstd, eps))); // σ² + ε
        f.add(Call.legacy(new RSqrt(rstd, rstd))); // r      [M, 1]
        f.add(Call.pairwise("multiply", xhat, rstd, xhat)); // x̂      [M, W]
        f.add(Call.pairwise("multiply", xhat, g, y)); // y      [M, W]
    }

    /**
     *   dg = Σ_rows dy ⊙ x̂   (per group of rows: one GEMV each),   dx̂ = dy ⊙ g
     *   dx = r ⊙ (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂))                   (means over W, per row)
     *
     * @param gain       the gain's parameter name (its gradient is taken from each group's map)
     * @param per        array rows per batch row (T, or T·H for the per-head qk-LayerNorm)
     * @param accumulate dx is added to {@code dx} (a residual stream's gradient) instead of written
     * @param ones       1-D ones, at least M long;  dxhat, temp: [M, W] scratch;  m1, m2: [M, 1] scratch
     */
    void backward(
            Call.Seq b,
            INDArray dy,
            INDArray dx,
            Groups groups,
            String gain,
            long per,
            boolean accumulate,
            INDArray ones,
            INDArray dxhat,
            INDArray temp,
            INDArray m1,
            INDArray m2) {
        b.add(Call.pairwise("multiply", dy, xhat, temp)); // dy ⊙ x̂  [M, W]
        groups.columnSums(b, temp, gain, per, ones); // dg [1, W] per group
        b.add(Call.pairwise("multiply", dy, g, dxhat)); // dx̂      [M, W]
        b.add(Call.matmul(dxhat, column, m1, false, false, 1, 0)); // mean(dx̂)       [M, 1]
        b.add(Call.pairwise("multiply", dxhat, xhat, temp)); // dx̂ ⊙ x̂  [M, W]
        b.add(Call.matmul(temp, column, m2, false, false, 1, 0)); // mean(dx̂ ⊙ x̂)  [M, 1]
        b.add(Call.pairwise("multiply", xhat, m2, temp)); // x̂ ⊙ mean(dx̂ ⊙ x̂)
        b.add(Call.pairwise("subtract", dxhat, m1, dxhat));
        b.add(Call.pairwise("subtract", dxhat, temp, dxhat));
        if (accumulate) {
            b.add(Call.pairwise("multiply", dxhat, rstd, dxhat));
            b.add(Call.pairwise("add", dx, dxhat, dx)); // dx += …  [M, W]
        } else {
            b.add(Call.pairwise("multiply", dxhat, rstd, dx)); // dx       [M, W]
        }
    }
}
