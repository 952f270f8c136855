package io.pikemix.training.engine;

import io.pikemix.format.Checks;
import io.pikemix.training.Batch;
import io.pikemix.training.GptConfig;
import io.pikemix.training.GptModel;
import io.pikemix.training.GradientModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The training engine: the GPT of {@link GptModel} (same parameters, names and function) with a hand-written
 * forward and backward pass on ND4J's native ops, the llm.c way. Parameters and gradients are two flat
 * buffers with a named view per tensor ({@link GptModel#specs} order); activations live in an {@link Arena}
 * sized for the largest batch seen; each row count gets a {@link Pass} whose ops and contexts are built once
 * and replayed, so a step is a fixed sequence of native calls with no allocation and no shape inference.
 * No Java loop touches a float: the same code runs on the CUDA backend. Not thread-safe.
 */
public final class GptEngine implements GradientModel {
    static {
        NativeBackend.select();
    } // before ND4J loads, where this class comes first

    private final GptConfig config;
    private final INDArray flatParams, flatGrads; // [P]
    private final Map<String, INDArray> params = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
    private final Map<String, Pass> passes = new LinkedHashMap<>(16, 0.75f, true) { // LRU: grouped passes vary by step
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Pass> eldest) {
                    if (size() <= MAX_PASSES) return false;
                    eldest.getValue().close();
                    return true;
                }
            };
    private static final int MAX_PASSES = 48;
    private final long paramCount;
    private INDArray groupFlat; // [G·P] per-group gradients
    private final List<Map<String, INDArray>> groupGrads = new ArrayList<>();
    private Arena arena;
    private int lastGroups = 1; // groups of the last gradient call
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
        paramCount = total;
        long offset = 0;
        for (GptModel.ParamSpec p : GptModel.specs(config)) {
            INDArray a = parameters.get(p.name());
            Checks.require(a != null, "parameters lack '%s'", p.name());
            Checks.require(
                    Arrays.equals(a.shape(), p.shape()),
                    "parameter '%s' has shape %s, the config needs %s",
                    p.name(),
                    Arrays.toString(a.shape()),
                    Arrays.toString(p.shape()));
            long n = length(p.shape());
            INDArray view =
                    flatParams.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', true, p.shape());
            view.assign(a.castTo(DataType.FLOAT));
            params.put(p.name(), view);
            grads.put(
                    p.name(),
                    flatGrads.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', true, p.shape()));
            offset += n;
        }
    }

    private static long length(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    @Override
    public GptConfig config() {
        return config;
    }

    @Override
    public Map<String, INDArray> parameters() {
        return Collections.unmodifiableMap(params);
    }

    /** All parameters as one flat [P] array (views of {@link #parameters()} share it). */
    public INDArray flatParameters() {
        return flatParams;
    }

    /** All gradients of the last {@link #gradient} call as one flat [P] array. */
    public INDArray flatGradients() {
        return flatGrads;
    }

    @Override
    public boolean reusesGradientBuffers() {
        return true;
    }

    private Pass pass(Batch batch) {
        return pass(batch, new int[] {0, batch.rows()});
    }

    /** The pass for the batch's row count and group boundaries (built on first use), loaded with the batch. */
    private Pass pass(Batch batch, int[] bounds) {
        Checks.require(
                batch.context() == config.context(),
                "batch context %d differs from the model's %d",
                batch.context(),
                config.context());
        int rows = batch.rows(), G = bounds.length - 1;
        Checks.require(
                bounds[0] == 0 && bounds[G] == rows,
                "group bounds %s must run from 0 to the batch's %d rows",
                Arrays.toString(bounds),
                rows);
        if (arena == null || rows > arena.maxRows) {
            closePasses();
            if (arena != null) arena.close();
            arena = new Arena(Math.max(rows, arena == null ? 0 : arena.maxRows));
            constants = new Pass.Constants(config, arena.maxRows);
        }
        if (G > 1 && G > groupGrads.size()) growGroups(G);
        String key = rows + Arrays.toString(bounds);
        Pass p = passes.get(key);
        if (p == null) {
            var groups = G == 1
                    ? new Groups(bounds, List.of(grads), null)
                    : new Groups(
                            bounds,
                            List.copyOf(groupGrads.subList(0, G)),
                            groupFlat
                                    .get(NDArrayIndex.interval(0, G * paramCount))
                                    .reshape('c', true, G, paramCount));
            p = new Pass(rows, config, arena, constants, params, groups);
            passes.put(key, p);
        }
        p.load(batch.inputs(), batch.targets(), config.vocabSize());
        return p;
    }

    /** Room for G per-group gradients (passes holding the old buffer's views are dropped). */
    private void growGroups(int G) {
        closePasses();
        if (groupFlat != null) groupFlat.close();
        groupFlat = Nd4j.create(DataType.FLOAT, G * paramCount);
        groupGrads.clear();
        for (int j = 0; j < G; j++) {
            var m = new LinkedHashMap<String, INDArray>();
            long offset = j * paramCount;
            for (GptModel.ParamSpec p : GptModel.specs(config)) {
                long n = length(p.shape());
                m.put(
                        p.name(),
                        groupFlat.get(NDArrayIndex.interval(offset, offset + n)).reshape('c', true, p.shape()));
                offset += n;
            }
            groupGrads.add(Collections.unmodifiableMap(m));
        }
    }

    /**
     * One forward and one backward pass over all rows, with the gradient of each group's own mean loss kept apart
     * (rows [b_j, b_(j+1)) form group j). Same result as one {@link #gradient} call per group, at the FLOPs of one
     * call over the whole batch. The gradients are views valid until the next call.
     */
    @Override
    public List<GptModel.Gradient> groupGradients(Batch batch, int[] bounds) {
        if (bounds.length == 2) return List.of(gradient(batch));
        Pass p = pass(batch, bounds);
        lastGroups = bounds.length - 1;
        p.forward();
        float[] tokenLoss = p.tokenLoss.toFloatVector();
        p.backward();
        int T = config.context();
        var out = new ArrayList<GptModel.Gradient>();
        for (int j = 0; j + 1 < bounds.length; j++) {
            float[] part = Arrays.copyOfRange(tokenLoss, bounds[j] * T, bounds[j + 1] * T);
            double sum = 0;
            for (float x : part) sum += x;
            out.add(new GptModel.Gradient(bounds[j + 1] - bounds[j], sum / part.length, part, groupGrads.get(j)));
        }
        return out;
    }

    /** [G, P]: the per-group gradients of the last call as rows (one row, {@link #flatGradients()}, after {@link #gradient}). */
    @Override
    public INDArray groupGradientMatrix() {
        if (lastGroups == 1) return flatGrads.reshape('c', true, 1, paramCount);
        return groupFlat
                .get(NDArrayIndex.interval(0, lastGroups * paramCount))
                .reshape('c', true, lastGroups, paramCount);
    }

    /** Σ_j w_j·g_j of the last call's groups into {@link #flatGradients()}: one [1, G]·[G, P] GEMV. */
    @Override
    public Map<String, INDArray> combineGroupGradients(double[] weights) {
        Checks.require(weights.length == lastGroups, "%d weights for %d groups", weights.length, lastGroups);
        var w = new float[weights.length];
        for (int j = 0; j < w.length; j++) w[j] = (float) weights[j];
        try (INDArray row = Nd4j.create(w, new long[] {1, w.length}, 'c')) {
            Nd4j.exec(org.nd4j.linalg.api.ops.DynamicCustomOp.builder("matmul")
                    .addInputs(row, groupGradientMatrix())
                    .addOutputs(flatGrads.reshape('c', true, 1, paramCount))
                    .addIntegerArguments(0, 0, 0)
                    .addFloatingPointArguments(1.0, 0.0)
                    .build());
        }
        return Collections.unmodifiableMap(grads); // the group gradients stay valid until the next call
    }

    /** Mean loss and its gradient; the gradients are views of {@link #flatGradients()}, overwritten by the next call. */
    @Override
    public GptModel.Gradient gradient(Batch batch) {
        Pass p = pass(batch);
        lastGroups = 1;
        p.forward();
        float[] tokenLoss = p.tokenLoss.toFloatVector();
        double loss = p.tokenLoss.meanNumber().doubleValue();
        p.backward();
        return new GptModel.Gradient(batch.rows(), loss, tokenLoss, Collections.unmodifiableMap(grads));
    }

    @Override
    public float[] tokenLosses(Batch batch) {
        Pass p = pass(batch);
        p.forward();
        return p.tokenLoss.toFloatVector();
    }

    @Override
    public INDArray logits(Batch batch) {
        Pass p = pass(batch);
        p.logits();
        return p.probs.dup();
    }

    /** Activation memory in bytes (for the notes). */
    public long activationBytes() {
        return arena == null ? 0 : arena.bytes();
    }

    /** Per op kind: {nanoseconds, calls} since {@link #profile}(true). */
    public static Map<String, long[]> profileTimes() {
        return Call.profileTimes();
    }

    /** Switches per-call timing on (and clears it) or off. */
    public static void profile(boolean on) {
        Call.profile = on;
        Call.resetProfile();
    }

    private void closePasses() {
        for (Pass p : passes.values()) p.close();
        passes.clear();
    }

    @Override
    public void close() {
        closePasses();
        if (groupFlat != null) groupFlat.close();
        if (arena != null) arena.close();
        if (flatParams.closeable()) flatParams.close();
        if (flatGrads.closeable()) flatGrads.close();
    }
}
