package io.pikemix.mixer;

import io.pikemix.format.Checks;
import io.pikemix.format.UserException;
import java.util.ArrayList;
import java.util.Locale;

/**
 * Knobs of robust-PiKE ({@link RobustPike}, {@code mixer/ROBUST_PIKE.md}). Every default is scale-free (it does
 * not depend on the model, the batch size, the number of domains or the training phase), so none needs tuning.
 *
 * @param signal      ζ_g, weight of the relative (discounted) gradient norm ĝ_k in the exponent; default 0.25
 * @param noise       ζ_v, weight of the relative gradient variance v̂_k in the exponent; default 0.25
 * @param floorShare  w_min·K: no domain gets less than this fraction of the uniform share 1/K; default 0.1
 * @param maxRatio    ρ ≥ 1: one update multiplies or divides no weight by more than ρ; default 1.2 (a weight can
 *                    double in four updates at the fastest)
 * @param repeatEpochs R*: a domain's rows lose value as exp(−(e_k − 1)/R*) after its first epoch e_k = 1;
 *                    default 5; {@code Infinity} switches the discount off
 * @param shrink      λ ∈ [0, 1]: each update pulls ln w a fraction λ of the way towards ln a (the anchor), which makes
 *                    ln(w/a) an exponential average of the exponents over about 1/λ updates; 0 = no pull
 * @param anchor      the weights a that λ pulls towards, and the initial weights unless a prior is given:
 *                    {@link #ANCHOR_TEMPERATURE} (w ∝ n_k^α, abundance-aware), {@link #ANCHOR_TOKEN} (w ∝ n_k, the {@code token} strategy) or
 *                    {@link #ANCHOR_INITIAL} (uniform or the prior)
 * @param heldOutRows h ≥ 0: with h > 0 the trainer holds out the last min(h, n_k/4) training rows of each domain from
 *                    the manifests and replaces ‖∇L_k‖² by the held-out signal ⟨t̄_k, h̄_k⟩ ({@link RobustPike#heldOutSignal});
 *                    0 (default) = off
 * @param metric      the inner product the trainer computes the statistics in: {@link #METRIC_SGD} (Euclidean, PiKE's
 *                    eq. 8 for an SGD step; default) or {@link #METRIC_ADAM} (⟨x, y⟩_{D⁻¹} = Σ_c x_c y_c / D_c with
 *                    D = √v̂ + ε, AdamW's preconditioner: the first-order decrease of L_k under an AdamW step)
 */
public record RobustPikeParams(
        double signal,
        double noise,
        double floorShare,
        double maxRatio,
        double repeatEpochs,
        double shrink,
        String anchor,
        int heldOutRows,
        String metric) {
    /** The command-line name, and the prefix of a spec with non-default knobs ({@link #spec()}). */
    public static final String NAME = "robust-pike";

    public static final double DEFAULT_SIGNAL = 0.25;
    public static final double DEFAULT_NOISE = 0.25;
    public static final double DEFAULT_FLOOR_SHARE = 0.1;
    public static final double DEFAULT_MAX_RATIO = 1.2;
    public static final double DEFAULT_REPEAT_EPOCHS = 5;
    public static final double DEFAULT_SHRINK = 0.25;
    /** Anchor: temperature sampling w ∝ n_k^α over the training split's tokens (α of the strategy options, 0.3). */
    public static final String ANCHOR_TEMPERATURE = "temperature";
    /** Anchor: token-proportional sampling w ∝ n_k over the training split's tokens (the {@code token} strategy). */
    public static final String ANCHOR_TOKEN = "token";
    /** Anchor: the strategy's initial weights (uniform, or the prior). */
    public static final String ANCHOR_INITIAL = "initial";

    public static final String DEFAULT_ANCHOR = ANCHOR_TEMPERATURE;
    public static final int DEFAULT_HELD_OUT_ROWS = 0;
    /** Metric: the Euclidean inner product of the gradients (PiKE's, for an SGD step). */
    public static final String METRIC_SGD = "sgd";
    /** Metric: AdamW's preconditioner, ⟨x, y⟩_{D⁻¹} with D = diag(√v̂ + ε) (mixer/ROBUST_PIKE.md, "Adam's metric"). */
    public static final String METRIC_ADAM = "adam";

    public static final String DEFAULT_METRIC = METRIC_SGD;

    public RobustPikeParams {
        Checks.require(
                Double.isFinite(signal) && signal >= 0, "--robust-signal must be finite and >= 0, got %s", signal);
        Checks.require(Double.isFinite(noise) && noise >= 0, "--robust-noise must be finite and >= 0, got %s", noise);
        Checks.require(
                floorShare >= 0 && floorShare <= 1,
                "--robust-floor must be in [0, 1] (a share of 1/K), got %s",
                floorShare);
        Checks.require(
                Double.isFinite(maxRatio) && maxRatio >= 1,
                "--robust-max-ratio must be finite and >= 1, got %s",
                maxRatio);
        Checks.require(
                repeatEpochs > 0, "--robust-repeat-epochs must be > 0 (Infinity: no discount), got %s", repeatEpochs);
        Checks.require(shrink >= 0 && shrink <= 1, "--robust-shrink must be in [0, 1], got %s", shrink);
        Checks.require(
                ANCHOR_TEMPERATURE.equals(anchor) || ANCHOR_TOKEN.equals(anchor) || ANCHOR_INITIAL.equals(anchor),
                "--robust-anchor must be %s, %s or %s, got '%s'",
                ANCHOR_TEMPERATURE,
                ANCHOR_TOKEN,
                ANCHOR_INITIAL,
                anchor);
        Checks.require(heldOutRows >= 0, "--robust-held-out-rows must be >= 0, got %d", heldOutRows);
        Checks.require(
                METRIC_SGD.equals(metric) || METRIC_ADAM.equals(metric),
                "--robust-metric must be %s or %s, got '%s'",
                METRIC_SGD,
                METRIC_ADAM,
                metric);
    }

    /** In the default (Euclidean) metric. */
    public RobustPikeParams(
            double signal,
            double noise,
            double floorShare,
            double maxRatio,
            double repeatEpochs,
            double shrink,
            String anchor,
            int heldOutRows) {
        this(signal, noise, floorShare, maxRatio, repeatEpochs, shrink, anchor, heldOutRows, DEFAULT_METRIC);
    }

    /** Without the held-out signal. */
    public RobustPikeParams(
            double signal,
            double noise,
            double floorShare,
            double maxRatio,
            double repeatEpochs,
            double shrink,
            String anchor) {
        this(signal, noise, floorShare, maxRatio, repeatEpochs, shrink, anchor, DEFAULT_HELD_OUT_ROWS);
    }

    /** The first version's update (issue 13, before measurement): no pull towards an anchor, initial weights as given. */
    public RobustPikeParams(double signal, double noise, double floorShare, double maxRatio, double repeatEpochs) {
        this(signal, noise, floorShare, maxRatio, repeatEpochs, 0, ANCHOR_INITIAL);
    }

    public static RobustPikeParams defaults() {
        return new RobustPikeParams(
                DEFAULT_SIGNAL,
                DEFAULT_NOISE,
                DEFAULT_FLOOR_SHARE,
                DEFAULT_MAX_RATIO,
                DEFAULT_REPEAT_EPOCHS,
                DEFAULT_SHRINK,
                DEFAULT_ANCHOR,
                DEFAULT_HELD_OUT_ROWS,
                DEFAULT_METRIC);
    }

    /** Whether the anchor is temperature sampling. */
    public boolean temperatureAnchor() {
        return ANCHOR_TEMPERATURE.equals(anchor);
    }

    /** Whether the anchor is computed from the domains' token counts (temperature or token-proportional). */
    public boolean tokenAnchor() {
        return ANCHOR_TEMPERATURE.equals(anchor) || ANCHOR_TOKEN.equals(anchor);
    }

    /** Whether the trainer computes the statistics in AdamW's metric ({@link #METRIC_ADAM}). */
    public boolean adamMetric() {
        return METRIC_ADAM.equals(metric);
    }

    /** True when {@code strategy} is a robust-pike spec with {@code metric=adam}. */
    public static boolean adamMetric(String strategy) {
        return isSpec(strategy) && parse(strategy).adamMetric();
    }

    /** w_min = floorShare / K. */
    public double minWeight(int domains) {
        return floorShare / domains;
    }

    /**
     * The strategy name that carries these knobs through a run's config.json: {@code robust-pike} for the defaults,
     * else {@code robust-pike:signal=…,noise=…,floor=…,ratio=…,repeat=…,shrink=…,anchor=…,heldout=…,metric=…} (only the knobs that differ).
     * {@link #parse} reads it back.
     */
    public String spec() {
        var d = defaults();
        var parts = new ArrayList<String>();
        if (signal != d.signal) parts.add("signal=" + fmt(signal));
        if (noise != d.noise) parts.add("noise=" + fmt(noise));
        if (floorShare != d.floorShare) parts.add("floor=" + fmt(floorShare));
        if (maxRatio != d.maxRatio) parts.add("ratio=" + fmt(maxRatio));
        if (repeatEpochs != d.repeatEpochs) parts.add("repeat=" + fmt(repeatEpochs));
        if (shrink != d.shrink) parts.add("shrink=" + fmt(shrink));
        if (!anchor.equals(d.anchor)) parts.add("anchor=" + anchor);
        if (heldOutRows != d.heldOutRows) parts.add("heldout=" + heldOutRows);
        if (!metric.equals(d.metric)) parts.add("metric=" + metric);
        return parts.isEmpty() ? NAME : NAME + ":" + String.join(",", parts);
    }

    /** True for {@code robust-pike} and {@code robust-pike:…}. */
    public static boolean isSpec(String name) {
        return name.equals(NAME) || name.startsWith(NAME + ":");
    }

    /** Reads {@link #spec()}; unknown keys and bad numbers are usage errors naming the offending part. */
    public static RobustPikeParams parse(String spec) {
        Checks.require(isSpec(spec), "'%s' is not a robust-pike strategy", spec);
        var d = defaults();
        double signal = d.signal,
                noise = d.noise,
                floor = d.floorShare,
                ratio = d.maxRatio,
                repeat = d.repeatEpochs,
                shrink = d.shrink;
        String anchor = d.anchor, metric = d.metric;
        int heldOut = d.heldOutRows;
        if (spec.length() > NAME.length()) {
            for (String part : spec.substring(NAME.length() + 1).split(",")) {
                String[] kv = part.split("=", 2);
                Checks.require(kv.length == 2, "strategy '%s': '%s' is not key=value", spec, part);
                if (kv[0].equals("anchor")) {
                    anchor = kv[1];
                    continue;
                }
                if (kv[0].equals("metric")) {
                    metric = kv[1];
                    continue;
                }
                if (kv[0].equals("heldout")) {
                    double h = number(spec, kv[1]);
                    Checks.require(
                            h == Math.rint(h) && h >= 0 && h <= Integer.MAX_VALUE,
                            "strategy '%s': heldout must be a whole number >= 0",
                            spec);
                    heldOut = (int) h;
                    continue;
                }
                double v = number(spec, kv[1]);
                switch (kv[0]) {
                    case "signal" -> signal = v;
                    case "noise" -> noise = v;
                    case "floor" -> floor = v;
                    case "ratio" -> ratio = v;
                    case "repeat" -> repeat = v;
                    case "shrink" -> shrink = v;
                    default ->
                        throw new UserException("strategy '" + spec + "': unknown key '" + kv[0]
                                + "'; expected signal, noise, floor, ratio, repeat, shrink, anchor, heldout or metric");
                }
            }
        }
        return new RobustPikeParams(signal, noise, floor, ratio, repeat, shrink, anchor, heldOut, metric);
    }

    private static double number(String spec, String text) {
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new UserException("strategy '" + spec + "': '" + text + "' is not a number");
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
