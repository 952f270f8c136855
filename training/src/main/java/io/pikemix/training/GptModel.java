package io.pikemix.training;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterAdd;
import org.nd4j.linalg.factory.Nd4j;

/**
 * GPT-2-style decoder in SameDiff (paper Appendix D.3): pre-LayerNorm blocks of causal multi-head attention
 * with qk-LayerNorm and rotary position embeddings, and a 4× GELU MLP; final LayerNorm; output projection tied
 * to the token embedding; softmax cross-entropy over next tokens; no biases.
 *
 * <p>Shaped by what works in SameDiff 1.0.0-M2.1 (docs/dl4j-notes.md): the embedding lookup happens outside the graph
 * ({@code Nd4j.pullRows} of {@code wte} fed as the FLOAT placeholder {@code emb}; the placeholder's gradient is
 * scatter-added into {@code wte}'s), every matmul with a weight is 2-D on {@code [N, C]} rows (N = B·T), and
 * qk-LayerNorm and rotary run on the contiguous {@code [N·H, D]} reshape before the one permute to heads.
 *
 * <p>The parameters are plain named arrays ({@link #parameters()}): checkpoints, optimiser state and
 * parameter averaging address them by the stable names below ({@code h0/attn/wq}, ...). Not thread-safe.
 */
public final class GptModel implements GradientModel {
    public static final String EMB = "emb", TARGETS = "targets", LOSS = "loss", TOKEN_LOSS = "token_loss", WTE = "wte";
    static final String ROPE_COS = "rope_cos", ROPE_SIN = "rope_sin";
    public static final float MASKED = -1e9f;

    private final GptConfig config;
    private final SameDiff sd = SameDiff.create();
    private final List<String> names = new ArrayList<>();
    private final Map<String, INDArray> params = new LinkedHashMap<>();
    private final List<String> gradientTargets;
    private final Map<Integer, INDArray[]> ropeTables = new java.util.HashMap<>(); // rows → {cos, sin} [rows·T·H, D]

    /** A fresh model: N(0, 0.02) weights (residual projections scaled by 1/√(2·nLayer)), unit gains; seeded. */
    public static GptModel initialize(GptConfig config, long seed) {
        return new GptModel(config, initialValues(config, seed));
    }

    /** The initial parameter values for a seed (fresh arrays; {@link io.pikemix.training.engine.GptEngine} uses the same). */
    public static Map<String, INDArray> initialValues(GptConfig config, long seed) {
        Nd4j.getRandom().setSeed(seed);
        var init = new LinkedHashMap<String, INDArray>();
        for (ParamSpec p : specs(config)) {
            INDArray a = p.std() == 0
                    ? Nd4j.ones(DataType.FLOAT, p.shape())
                    : Nd4j.randn(DataType.FLOAT, p.shape()).muli(p.std());
            init.put(p.name(), a);
        }
        return init;
    }

    /** A model over the given parameter arrays (taken over, not copied; names and shapes as in {@link #specs}). */
    public GptModel(GptConfig config, Map<String, INDArray> parameters) {
        this.config = config;
        for (ParamSpec p : specs(config)) {
            INDArray a = parameters.get(p.name());
            io.pikemix.format.Checks.require(a != null, "parameters lack '%s'", p.name());
            io.pikemix.format.Checks.require(
                    java.util.Arrays.equals(a.shape(), p.shape()),
                    "parameter '%s' has shape %s, the config needs %s",
                    p.name(),
                    java.util.Arrays.toString(a.shape()),
                    java.util.Arrays.toString(p.shape()));
            names.add(p.name());
            params.put(p.name(), a);
        }
        build();
        var targets = new ArrayList<>(names);
        targets.add(EMB);
        gradientTargets = List.copyOf(targets);
        quietly(sd::createGradFunction); // once, up front: it prints one line per differentiated op
    }

    /** Name, shape and init std (0 = ones) of every parameter, in a fixed order. */
    public static List<ParamSpec> specs(GptConfig c) {
        long C = c.dModel(), D = c.headSize(), V = c.vocabSize();
        double std = 0.02, residual = 0.02 / Math.sqrt(2.0 * c.nLayer());
        var s = new ArrayList<ParamSpec>();
        s.add(new ParamSpec(WTE, new long[] {V, C}, std));
        for (int l = 0; l < c.nLayer(); l++) {
            String h = "h" + l + "/";
            s.add(new ParamSpec(h + "ln1", new long[] {C}, 0));
            s.add(new ParamSpec(h + "attn/wq", new long[] {C, C}, std));
            s.add(new ParamSpec(h + "attn/wk", new long[] {C, C}, std));
            s.add(new ParamSpec(h + "attn/wv", new long[] {C, C}, std));
            s.add(new ParamSpec(h + "attn/q_norm", new long[] {D}, 0));
            s.add(new ParamSpec(h + "attn/k_norm", new long[] {D}, 0));
            s.add(new ParamSpec(h + "attn/wo", new long[] {C, C}, residual));
            s.add(new ParamSpec(h + "ln2", new long[] {C}, 0));
            s.add(new ParamSpec(h + "mlp/w_fc", new long[] {C, 4 * C}, std));
            s.add(new ParamSpec(h + "mlp/w_proj", new long[] {4 * C, C}, residual));
        }
        s.add(new ParamSpec("ln_f", new long[] {C}, 0));
        return List.copyOf(s);
    }

    /** One parameter: LayerNorm gains are vectors (std 0: initialised to 1, no weight decay), weights are matrices. */
    public record ParamSpec(String name, long[] shape, double std) {
        public boolean isGain() {
            return shape.length == 1;
        }
    }

    private void build() {
        int C = config.dModel(), T = config.context();
        SDVariable x = sd.placeHolder(EMB, DataType.FLOAT, -1, C); // [N, C], N = B·T
        SDVariable y = sd.placeHolder(TARGETS, DataType.INT32, -1); // [N] next-token ids
        for (String n : names) sd.var(n, params.get(n));
        for (int l = 0; l < config.nLayer(); l++) x = block(x, l); // [N, C]
        x = layerNorm(x, "ln_f"); // [N, C]
        SDVariable logits = sd.mmul("logits", x, sd.getVariable(WTE), false, true, false); // [N, V]
        SDVariable tokenLoss = sd.loss().sparseSoftmaxCrossEntropy(TOKEN_LOSS, logits, y); // [N]
        tokenLoss.mean(LOSS); // []
        // M2.1's loss ops mark their own output as the loss: gradients are of Σ token_loss whatever
        // setLossVariables says (checked by the finite-difference test); gradient() rescales by 1/N.
        sd.setLossVariables(TOKEN_LOSS);
    }

    private SDVariable block(SDVariable x, int layer) { // x: [N, C]
        String h = "h" + layer + "/";
        x = x.add(attention(layerNorm(x, h + "ln1"), layer)); // [N, C]
        x = x.add(mlp(layerNorm(x, h + "ln2"), layer)); // [N, C]
        return x;
    }

    private SDVariable attention(SDVariable x, int layer) { // x: [N, C]
        int T = config.context(), H = config.nHead(), D = config.headSize(), C = config.dModel();
        String a = "h" + layer + "/attn/";
        SDVariable q = rotary(qkNorm(sd.mmul(x, w(a + "wq")), a + "q_norm")); // [B, T, H, D]
        SDVariable k = rotary(qkNorm(sd.mmul(x, w(a + "wk")), a + "k_norm")); // [B, T, H, D]
        SDVariable v = sd.reshape(sd.mmul(x, w(a + "wv")), -1, T, H, D); // [B, T, H, D]
        q = q.permute(0, 2, 1, 3); // [B, H, T, D]
        k = k.permute(0, 2, 1, 3); // [B, H, T, D]
        v = v.permute(0, 2, 1, 3); // [B, H, T, D]
        SDVariable scores = sd.mmul(q, k, false, true, false) // [B, H, T, T]
                .mul(1.0 / Math.sqrt(D))
                .add(causalMask()); // [B, H, T, T]
        SDVariable att = sd.nn().softmax(scores, -1); // [B, H, T, T]
        SDVariable out = sd.mmul(att, v).permute(0, 2, 1, 3); // [B, T, H, D]
        return sd.mmul(sd.reshape(out, -1, C), w(a + "wo")); // [N, C]
    }

    private SDVariable mlp(SDVariable x, int layer) { // x: [N, C]
        String m = "h" + layer + "/mlp/";
        SDVariable hidden = sd.nn().gelu(sd.mmul(x, w(m + "w_fc"))); // [N, 4C]
        return sd.mmul(hidden, w(m + "w_proj")); // [N, C]
    }

    /** Per-head LayerNorm of queries or keys (Dehghani et al. 2023), on the contiguous [N·H, D] reshape. */
    private SDVariable qkNorm(SDVariable x, String gain) { // x: [N, C]
        return layerNorm(sd.reshape(x, -1, config.headSize()), gain); // [N·H, D]
    }

    /**
     * Rotary position embedding (Su et al. 2021), rotate-half form: x·cos + rot(x)·sin, where rot(x) = x @ R
     * swaps the halves of each head with a sign, and cos/sin[t, h, i] = cos/sin(t · 10000^(−2(i mod D/2)/D)).
     * The tables are fed pre-tiled to [N·H, D] (placeholders {@code rope_cos}, {@code rope_sin}, cached per row
     * count): a same-shape multiply, whose backward is elementwise, instead of a broadcast over the batch,
     * whose backward reduces over it (≈ 12 ms per call in M2.1).
     */
    private SDVariable rotary(SDVariable x) { // x: [N·H, D]
        int T = config.context(), H = config.nHead(), D = config.headSize();
        SDVariable rotated = sd.mmul(x, constant("rope/rot", RotaryTables.rotateHalf(D))); // [N·H, D]
        SDVariable cos = placeholder(ROPE_COS, D), sin = placeholder(ROPE_SIN, D); // [N·H, D]
        return sd.reshape(x.mul(cos).add(rotated.mul(sin)), -1, T, H, D); // [B, T, H, D]
    }

    private SDVariable placeholder(String name, int width) {
        return sd.hasVariable(name) ? sd.getVariable(name) : sd.placeHolder(name, DataType.FLOAT, -1, width);
    }

    /** LayerNorm over the last axis of a contiguous [M, W] array, gain only (no bias), ε = config.lnEpsilon(). */
    private SDVariable layerNorm(SDVariable x, String gain) { // x: [M, W]
        SDVariable g = sd.getVariable(gain); // [W]
        if (config.lnEpsilon() == 0) return sd.nn().layerNorm(x, g, false, 1); // [M, W]
        SDVariable centered = x.sub(x.mean(true, 1)); // [M, W]
        SDVariable variance = sd.math().square(centered).mean(true, 1); // [M, 1]
        return centered.mul(sd.math().rsqrt(variance.add(config.lnEpsilon()))).mul(g); // [M, W]
    }

    private SDVariable causalMask() { // [T, T]: 0 where j ≤ i, else −1e9
        return constant("causal_mask", RotaryTables.causalMask(config.context(), MASKED));
    }

    private SDVariable w(String name) {
        return sd.getVariable(name);
    }

    private SDVariable constant(String name, INDArray value) {
        return sd.hasVariable(name) ? sd.getVariable(name) : sd.constant(name, value);
    }

    @Override
    public GptConfig config() {
        return config;
    }

    /** The live parameter arrays by name, in {@link #specs} order (updates in place change the model). */
    @Override
    public Map<String, INDArray> parameters() {
        return Collections.unmodifiableMap(params);
    }

    @Override
    public List<String> parameterNames() {
        return List.copyOf(names);
    }

    /**
     * Mean next-token loss and its gradient (of the mean over the batch's N = rows·T tokens) for one micro-batch. The caller owns (and should close) the
     * returned gradient arrays.
     */
    @Override
    public Gradient gradient(Batch batch) {
        INDArray emb = Nd4j.pullRows(params.get(WTE), 1, batch.inputs()); // [N, C]
        INDArray targets = Nd4j.createFromArray(batch.targets()); // [N]
        OutAndGrad r =
                sd.calculateGradientsAndOutputs(feed(batch, emb, targets), List.of(LOSS, TOKEN_LOSS), gradientTargets);
        var grads = new LinkedHashMap<String, INDArray>();
        for (String n : names) grads.put(n, r.getGradients().get(n));
        INDArray dEmb = r.getGradients().get(EMB); // [N, C]
        scatterAddRows(grads.get(WTE), batch.inputs(), dEmb); // [V, C]
        double perToken = 1.0 / batch.inputs().length; // ∇ Σ token_loss → ∇ mean
        for (INDArray gr : grads.values()) gr.muli(perToken);
        double loss = r.getOutputs().get(LOSS).getDouble(0);
        float[] tokenLoss = r.getOutputs().get(TOKEN_LOSS).toFloatVector(); // [N]
        close(emb, targets, dEmb, r.getOutputs().get(LOSS), r.getOutputs().get(TOKEN_LOSS));
        return new Gradient(batch.rows(), loss, tokenLoss, grads);
    }

    /** Per-token next-token losses of a batch, forward pass only. */
    @Override
    public float[] tokenLosses(Batch batch) {
        INDArray emb = Nd4j.pullRows(params.get(WTE), 1, batch.inputs()); // [N, C]
        INDArray targets = Nd4j.createFromArray(batch.targets()); // [N]
        INDArray out = sd.output(feed(batch, emb, targets), TOKEN_LOSS).get(TOKEN_LOSS); // [N]
        float[] losses = out.toFloatVector();
        close(emb, targets, out);
        return losses;
    }

    /** Logits [N, V] of a batch (tests: causal mask and rotary properties). */
    @Override
    public INDArray logits(Batch batch) {
        INDArray emb = Nd4j.pullRows(params.get(WTE), 1, batch.inputs());
        INDArray targets = Nd4j.createFromArray(batch.targets());
        INDArray out =
                sd.output(feed(batch, emb, targets), "logits").get("logits").dup();
        close(emb, targets);
        return out;
    }

    SameDiff sameDiff() {
        return sd;
    }

    private Map<String, INDArray> feed(Batch batch, INDArray emb, INDArray targets) {
        INDArray[] rope = ropeTables.computeIfAbsent(batch.rows(), rows -> {
            int T = config.context(), H = config.nHead(), D = config.headSize();
            return new INDArray[] {
                Nd4j.tile(RotaryTables.cos(T, H, D).reshape((long) T * H, D), rows, 1), // [rows·T·H, D]
                Nd4j.tile(RotaryTables.sin(T, H, D).reshape((long) T * H, D), rows, 1)
            };
        });
        return Map.of(EMB, emb, TARGETS, targets, ROPE_COS, rope[0], ROPE_SIN, rope[1]);
    }

    /** gradient[ids[i], :] += rows[i, :] (duplicates accumulate); in place via an explicit output argument. */
    static void scatterAddRows(INDArray gradient, int[] ids, INDArray rows) {
        INDArray indices = Nd4j.createFromArray(ids);
        var op = new ScatterAdd(gradient, indices, rows);
        op.addOutputArgument(gradient);
        Nd4j.exec(op);
        indices.close();
    }

    public static void close(INDArray... arrays) {
        for (INDArray a : arrays) if (a != null && a.closeable()) a.close();
    }

    /** Runs {@code r} with System.out silenced (SameDiff prints "Added differentiated op ..." per op). */
    static void quietly(Runnable r) {
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            r.run();
        } finally {
            System.setOut(out);
        }
    }

    /** Releases the parameter arrays and the graph's cached arrays. */
    @Override
    public void close() {
        for (INDArray p : params.values()) close(p);
        sd.clearPlaceholders(true);
    }

    /** A micro-batch's loss, per-token losses and per-parameter gradients (of the mean loss over its tokens). */
    public record Gradient(int rows, double loss, float[] tokenLosses, Map<String, INDArray> gradients)
            implements AutoCloseable {
        @Override
        public void close() {
            for (INDArray g : gradients.values()) GptModel.close(g);
        }
    }
}
