package io.pikemix.training.engine;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Rotary position embedding (Su et al. 2021), rotate-half form, on the two half-views of a [M, D] array
 * (M = rows·T·H, one head's vector per row), with the cos/sin tables of the first D/2 angles pre-tiled to
 * [M, D/2] (the second half uses the same angles):
 *
 *   y₁ = x₁ ⊙ cos − x₂ ⊙ sin,    y₂ = x₂ ⊙ cos + x₁ ⊙ sin
 *
 * Linear, so the backward pass is the transposed rotation:  dx₁ = dy₁ ⊙ cos + dy₂ ⊙ sin,  dx₂ = dy₂ ⊙ cos − dy₁ ⊙ sin.
 */
final class RotaryStep {
    private final INDArray cos, sin, temp;

    /** @param cos, sin [M, D/2] tables;  temp [M, D/2] scratch */
    RotaryStep(INDArray cos, INDArray sin, INDArray temp) {
        this.cos = cos;
        this.sin = sin;
        this.temp = temp;
    }

    static INDArray first(INDArray a) {
        long h = a.size(1) / 2;
        return a.get(NDArrayIndex.all(), NDArrayIndex.interval(0, h));
    }

    static INDArray second(INDArray a) {
        long h = a.size(1) / 2;
        return a.get(NDArrayIndex.all(), NDArrayIndex.interval(h, 2 * h));
    }

    /** y = rope(x); x, y: [M, D], distinct. */
    void forward(Call.Seq f, INDArray x, INDArray y) {
        rotate(f, first(x), second(x), first(y), second(y), false);
    }

    /** dx = ropeᵀ(dy). */
    void backward(Call.Seq b, INDArray dy, INDArray dx) {
        rotate(b, first(dy), second(dy), first(dx), second(dx), true);
    }

    /** y₁ = x₁c ∓ x₂s,  y₂ = x₂c ± x₁s  (lower signs: the transpose). */
    private void rotate(Call.Seq s, INDArray x1, INDArray x2, INDArray y1, INDArray y2, boolean transpose) {
        s.add(Call.pairwise("multiply", x1, cos, y1));
        s.add(Call.pairwise("multiply", x2, sin, temp));
        s.add(Call.pairwise(transpose ? "add" : "subtract", y1, temp, y1));
        s.add(Call.pairwise("multiply", x2, cos, y2));
        s.add(Call.pairwise("multiply", x1, sin, temp));
        s.add(Call.pairwise(transpose ? "subtract" : "add", y2, temp, y2));
    }
}
