package io.pikemix.training;

import io.pikemix.format.Checks;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;

/**
 * AdamW (Loshchilov & Hutter 2019) with global gradient-norm clipping, as in Table 6 (β1 = 0.95, β2 = 0.98,
 * weight decay 0.1, clip 1.0). ND4J 1.0.0-M2.1 has no AdamW config, so each parameter has an
 * {@link AdamUpdater} (learning rate 1) and the decay is applied separately:
 *
 *   c = min(1, clip / ‖g‖),  g ← c·g                              (‖g‖ over all parameters)
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²
 *   u = m·√(1−β2^t)/(1−β1^t) / (√v + ε)                          (ND4J's bias correction, t = iteration + 1)
 *   θ ← θ·(1 − lr·λ)  (weight matrices only; LayerNorm gains are not decayed),   θ ← θ − lr·u
 *
 * The state (m and v of every parameter, concatenated in one [1, 2n] array per parameter, and the iteration)
 * is plain named arrays: {@link #state()} is what checkpoints store and what parameter averaging averages.
 */
public final class AdamW {
    /** Hyperparameters; Table 6's values by {@link #table6()}. */
    public record Hyper(double beta1, double beta2, double epsilon, double weightDecay, double clipNorm)
            implements java.io.Serializable {
        public Hyper {
            Checks.require(
                    beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
                    "--beta1/--beta2 must be in [0, 1), got %s, %s",
                    beta1,
                    beta2);
            Checks.require(
                    epsilon > 0 && weightDecay >= 0,
                    "epsilon must be > 0 and weight decay >= 0, got %s, %s",
                    epsilon,
                    weightDecay);
            Checks.require(clipNorm > 0, "--clip must be > 0, got %s", clipNorm);
        }

        public static Hyper table6() {
            return new Hyper(0.95, 0.98, 1e-8, 0.1, 1.0);
        }
    }

    private final Hyper hyper;
    private final Set<String> decayed;
    private final Map<String, INDArray> state = new LinkedHashMap<>();
    private final Map<String, AdamUpdater> updaters = new LinkedHashMap<>();
    private long iteration;

    /**
     * @param shapes  parameter shapes by name (the model's order)
     * @param decayed names that get weight decay
     * @param saved   saved moments by name ([1, 2n] each), or null for zeros
     */
    public AdamW(
            Hyper hyper, Map<String, long[]> shapes, Set<String> decayed, Map<String, INDArray> saved, long iteration) {
        this.hyper = hyper;
        this.decayed = Set.copyOf(decayed);
        this.iteration = iteration;
        var config = new Adam(1.0, hyper.beta1(), hyper.beta2(), hyper.epsilon());
        for (var e : shapes.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            INDArray s = saved == null ? Nd4j.zeros(DataType.FLOAT, 1, 2 * n) : saved.get(e.getKey());
            Checks.require(
                    s != null && s.length() == 2 * n,
                    "optimiser state for '%s' is missing or has the wrong size",
                    e.getKey());
            var u = new AdamUpdater(config);
            u.setStateViewArray(s, e.getValue(), 'c', saved == null);
            state.put(e.getKey(), s);
            updaters.put(e.getKey(), u);
        }
    }

    /** AdamW over a model's parameters: every weight matrix decayed, the LayerNorm gains not. */
    public static AdamW forModel(Hyper hyper, GptConfig model, Map<String, INDArray> saved, long iteration) {
        var shapes = new LinkedHashMap<String, long[]>();
        var decayed = new java.util.HashSet<String>();
        for (GptModel.ParamSpec p : GptModel.specs(model)) {
            shapes.put(p.name(), p.shape());
            if (!p.isGain()) decayed.add(p.name());
        }
        return new AdamW(hyper, shapes, decayed, saved, iteration);
    }

    /**
     * One update of {@code params} in place from {@code grads} (consumed: overwritten with the update).
     * Returns the global gradient norm before clipping. A non-finite norm (a NaN or infinite gradient) changes
     * nothing: the step is rejected and the caller decides (Trainer's --max-bad-steps).
     */
    public double step(Map<String, INDArray> params, Map<String, INDArray> grads, double lr) {
        double sq = 0;
        for (INDArray g : grads.values()) {
            double n = g.norm2Number().doubleValue();
            sq += n * n;
        }
        double norm = Math.sqrt(sq);
        if (!Double.isFinite(norm)) return norm; // a rejected step (Trainer): parameters, moments, iteration unchanged
        double scale = norm > hyper.clipNorm() ? hyper.clipNorm() / norm : 1.0;
        for (var e : updaters.entrySet()) {
            String name = e.getKey();
            INDArray g = grads.get(name), p = params.get(name);
            if (scale != 1.0) g.muli(scale);
            e.getValue().applyUpdater(g, (int) iteration, 0); // g ← u
            if (decayed.contains(name)) p.muli(1 - lr * hyper.weightDecay());
            p.subi(g.muli(lr));
        }
        iteration++;
        return norm;
    }

    /** Moments by parameter name ([1, 2n]: m then v), live arrays. */
    public Map<String, INDArray> state() {
        return java.util.Collections.unmodifiableMap(state);
    }

    /**
     * The column scale of robust-pike's Adam metric (mixer/ROBUST_PIKE.md): d = D^(−1/2) as one flat [P] float array,
     * the parameters of {@code names} concatenated in that order (each flattened in 'c' order, the layout of
     * {@link GradientModel#groupGradientMatrix()}), where
     *
     *   D_c = √v̂_c + ε,   v̂ = v / (1 − β2^t),   t = {@link #iteration()} (the updates v has seen)
     *
     * so that ⟨x ⊙ d, y ⊙ d⟩ = Σ_c x_c y_c / D_c. Null before the first update (t = 0: no second moments yet, the
     * identity metric). A fresh array (caller closes); reads the moments, changes nothing.
     */
    public INDArray metricScale(java.util.List<String> names) {
        if (iteration == 0) return null;
        long total = 0;
        for (String n : names) total += state.get(n).length() / 2;
        INDArray d = Nd4j.create(DataType.FLOAT, total);
        long offset = 0;
        for (String n : names) {
            INDArray s = state.get(n);
            Checks.require(s != null, "no optimiser state for '%s'", n);
            long len = s.length() / 2;
            d.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(offset, offset + len))
                    .assign(s.reshape(s.length()).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(len, 2 * len)));
            offset += len;
        }
        d.divi(1 - Math.pow(hyper.beta2(), iteration)); // v̂
        org.nd4j.linalg.ops.transforms.Transforms.sqrt(d, false).addi(hyper.epsilon()); // D
        return org.nd4j.linalg.ops.transforms.Transforms.pow(d, -0.5, false); // D^(−1/2)
    }

    /** Updates applied so far (Adam's t − 1). */
    public long iteration() {
        return iteration;
    }

    public Hyper hyper() {
        return hyper;
    }
}
