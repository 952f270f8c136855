package io.pikemix.training.engine;

import io.pikemix.format.Checks;
import io.pikemix.training.Batch;
import io.pikemix.training.GptConfig;
import io.pikemix.training.GptModel;
import io.pikemix.training.GradientModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The training engine: the GPT of {@link GptModel} (same parameters, names and function) with a hand-written
 * forward and backward pass on ND4J's native ops, the llm.c way. Parameters and gradients are two flat
 * buffers with a named view per tensor ({@link GptModel#specs} order); activations live in an {@link Arena}
 * sized for the largest batch seen; each row count gets a {@link Pass} whose ops and contexts are built once
 * and replayed, so a step is a fixed sequence of native calls with no allocation and no shape inference.
 * No Java loop touches a float: the same code runs on the CUDA backend. Not thread-safe.
 */
public final class GptEngine implements GradientModel {
    private final GptConfig config;
    private final INDArray flatParams, flatGrads;                        // [P]
    private final Map<String, INDArray> params = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
    private final Map<Integer, Pass> passes = new HashMap<>();
    private Arena arena;
    private Pass.Constants constants;

    /** A fresh engine with {@link GptModel#initialize}'s initial values for the same seed. */
    public static GptEngine initialize(GptConfig config, long seed) {
        return new GptEngine(config, GptModel.initialValues(config, seed));
    }

    /** An engine whose parameters are copies of {@code parameters} (names and shapes as in {@link GptModel#specs}). */
    public GptEngine(GptConfig config, Map<String, INDArray> parameters) {
        this.config = config;
        long total = 0;
        for (GptModel.ParamSpec p : GptModel.specs(config)) total += length(p.shape());
        flatParams = Nd4j.create(DataType.FLOAT, total);
        flatGrads = Nd4j.create(DataType.FLOAT, total);
        long offset = 0;
        for (GptModel.ParamSpec p : GptModel.specs(config)) {
            INDArray a = parameters.get(p.name());
            Checks.require(a != null, "parameters lack '%s'", p.name());
            Checks.require(Arrays.equals(a.shape(), p.shape()), "parameter '%s' has shape %s, the config needs %s",
                    p.name(), Arrays.toString(a.shape()), Arrays.toString(p.shape()));
            long n = length(p.shape());
            INDArray view = flatParams.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', true, p.shape());
            view.assign(a.castTo(DataType.FLOAT));
            params.put(p.name(), view);
            grads.put(p.name(), flatGrads.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', true, p.shape()));
            offset += n;
        }
    }

    private static long length(long[] shape) { long n = 1; for (long d : shape) n *= d; return n; }

    @Override public GptConfig config() { return config; }

    @Override public Map<String, INDArray> parameters() { return Collections.unmodifiableMap(params); }

    /** All parameters as one flat [P] array (views of {@link #parameters()} share it). */
    public INDArray flatParameters() { return flatParams; }

    /** All gradients of the last {@link #gradient} call as one flat [P] array. */
    public INDArray flatGradients() { return flatGrads; }

    @Override public boolean reusesGradientBuffers() { return true; }

    private Pass pass(Batch batch) {
        Checks.require(batch.context() == config.context(), "batch context %d differs from the model's %d", batch.context(), config.context());
        int rows = batch.rows();
        if (arena == null || rows > arena.maxRows) {
            closePasses();
            if (arena != null) arena.close();
            arena = new Arena(Math.max(rows, arena == null ? 0 : arena.maxRows));
            constants = new Pass.Constants(config, arena.maxRows);
        }
        Pass p = passes.computeIfAbsent(rows, n -> new Pass(n, config, arena, constants, params, grads));
        p.load(batch.inputs(), batch.targets(), config.vocabSize());
        return p;
    }

    /** Mean loss and its gradient; the gradients are views of {@link #flatGradients()}, overwritten by the next call. */
    @Override public GptModel.Gradient gradient(Batch batch) {
        Pass p = pass(batch);
        p.forward();
        float[] tokenLoss = p.tokenLoss.toFloatVector();
        double loss = p.tokenLoss.meanNumber().doubleValue();
        p.backward();
        return new GptModel.Gradient(batch.rows(), loss, tokenLoss, Collections.unmodifiableMap(grads));
    }

    @Override public float[] tokenLosses(Batch batch) {
        Pass p = pass(batch);
        p.forward();
        return p.tokenLoss.toFloatVector();
    }

    @Override public INDArray logits(Batch batch) {
        Pass p = pass(batch);
        p.logits();
        return p.probs.dup();
    }

    /** Activation memory in bytes (for the notes). */
    public long activationBytes() { return arena == null ? 0 : arena.bytes(); }

    /** Per op kind: {nanoseconds, calls} since {@link #profile}(true). */
    public static Map<String, long[]> profileTimes() { return Call.profileTimes(); }

    /** Switches per-call timing on (and clears it) or off. */
    public static void profile(boolean on) { Call.profile = on; Call.resetProfile(); }

    private void closePasses() {
        for (Pass p : passes.values()) p.close();
        passes.clear();
    }

    @Override public void close() {
        closePasses();
        if (arena != null) arena.close();
        if (flatParams.closeable()) flatParams.close();
        if (flatGrads.closeable()) flatGrads.close();
    }
}
