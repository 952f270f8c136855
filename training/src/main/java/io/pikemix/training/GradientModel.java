package io.pikemix.training;

import io.pikemix.format.Checks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the trainers, validation and evaluation need from a model: its named parameters, the mean next-token loss
 * and its gradient for one micro-batch, and forward-only per-token losses. Two implementations compute the same
 * function: {@link GptModel} (SameDiff, the reference) and {@link io.pikemix.training.engine.GptEngine} (the
 * hand-written forward and backward on ND4J ops, the default).
 */
public interface GradientModel extends AutoCloseable {
    GptConfig config();

    /** The live parameter arrays by name, in {@link GptModel#specs} order (in-place updates change the model). */
    Map<String, INDArray> parameters();

    default List<String> parameterNames() {
        return List.copyOf(parameters().keySet());
    }

    /**
     * Mean next-token loss over the batch's rows·T tokens and its gradient. The gradient arrays are valid until
     * the next call when {@link #reusesGradientBuffers()}; otherwise the caller owns (and should close) them.
     */
    GptModel.Gradient gradient(Batch batch);

    /**
     * The gradients of several groups of a batch's rows (rows [b_j, b_(j+1)) form group j; each gradient is of its
     * group's own mean loss), as one {@link #gradient} call per group would give them. The engine computes all of
     * them in one forward and one backward pass; ownership as for {@link #gradient}.
     */
    default List<GptModel.Gradient> groupGradients(Batch batch, int[] bounds) {
        Checks.require(!reusesGradientBuffers() || bounds.length == 2, "this model must override groupGradients");
        var out = new ArrayList<GptModel.Gradient>();
        int T = batch.context();
        for (int j = 0; j + 1 < bounds.length; j++) {
            int from = bounds[j] * T, to = bounds[j + 1] * T;
            out.add(gradient(new Batch(
                    bounds[j + 1] - bounds[j],
                    T,
                    Arrays.copyOfRange(batch.inputs(), from, to),
                    Arrays.copyOfRange(batch.targets(), from, to))));
        }
        return out;
    }

    /**
     * The per-group gradients of the last {@link #groupGradients} call as the rows of one [G, P] array (row j: group
     * j's tensors flattened and concatenated in {@link #parameterNames()} order), a view valid as long as those
     * gradients are; null when the model keeps them as separate arrays (the default). Lets the statistics run on
     * strided views of the gradients instead of copies.
     */
    default INDArray groupGradientMatrix() {
        return null;
    }

    /**
     * Σ_j w_j·g_j over the per-group gradients of the last {@link #groupGradients} call (one weight per group), in
     * the model's own gradient buffer (valid until the next call, as {@link #gradient}'s); null when the model does
     * not offer it (the default: callers sum the arrays themselves). The engine does it as one GEMV over
     * {@link #groupGradientMatrix()}.
     */
    default Map<String, INDArray> combineGroupGradients(double[] weights) {
        return null;
    }

    /** Per-token next-token losses of a batch, forward pass only. */
    float[] tokenLosses(Batch batch);

    /** Logits [rows·T, V] of a batch, a fresh array (tests: causal mask and rotary properties). */
    INDArray logits(Batch batch);

    /** True when {@link #gradient} returns views of one buffer that the next call overwrites. */
    default boolean reusesGradientBuffers() {
        return false;
    }

    @Override
    void close();
}
