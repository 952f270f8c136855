package io.pikemix.cli;

import io.pikemix.mixer.PikeParams;
import io.pikemix.mixer.RobustPikeParams;
import io.pikemix.mixer.StrategyOptions;
import picocli.CommandLine.Option;

/**
 * The PiKE / Fair-PiKE hyperparameters (Algorithms 1 and 3) and robust-PiKE's knobs (mixer/ROBUST_PIKE.md), shared by
 * weights, mixer serve, train and compare (a mixin).
 */
public final class PikeOptions {
    @Option(
            names = "--zeta1",
            defaultValue = "" + PikeParams.DEFAULT_ZETA1,
            description = "PiKE ζ1 (default ${DEFAULT-VALUE}).")
    double zeta1;

    @Option(
            names = "--zeta2",
            defaultValue = "" + PikeParams.DEFAULT_ZETA2,
            description = "PiKE ζ2 (default ${DEFAULT-VALUE}).")
    double zeta2;

    @Option(
            names = "--tau",
            defaultValue = "" + PikeParams.DEFAULT_TAU,
            description = "Fair-PiKE τ (default ${DEFAULT-VALUE}).")
    double tau;

    @Option(
            names = "--min-weight",
            defaultValue = "" + PikeParams.DEFAULT_MIN_WEIGHT,
            description = "Floor on every weight after a pike/fair-pike update; 0 = none (default ${DEFAULT-VALUE}).")
    double minWeight;

    @Option(
            names = "--robust-signal",
            defaultValue = "" + RobustPikeParams.DEFAULT_SIGNAL,
            description =
                    "robust-pike: weight of the relative gradient norm in the exponent (default ${DEFAULT-VALUE}).")
    double robustSignal;

    @Option(
            names = "--robust-noise",
            defaultValue = "" + RobustPikeParams.DEFAULT_NOISE,
            description =
                    "robust-pike: weight of the relative gradient variance in the exponent (default ${DEFAULT-VALUE}).")
    double robustNoise;

    @Option(
            names = "--robust-floor",
            defaultValue = "" + RobustPikeParams.DEFAULT_FLOOR_SHARE,
            description = "robust-pike: no domain below this share of 1/K (default ${DEFAULT-VALUE}).")
    double robustFloor;

    @Option(
            names = "--robust-max-ratio",
            defaultValue = "" + RobustPikeParams.DEFAULT_MAX_RATIO,
            description =
                    "robust-pike: one update multiplies or divides no weight by more than this (default ${DEFAULT-VALUE}).")
    double robustMaxRatio;

    @Option(
            names = "--robust-repeat-epochs",
            defaultValue = "" + RobustPikeParams.DEFAULT_REPEAT_EPOCHS,
            description =
                    "robust-pike: rows lose value as exp(-(epochs-1)/R) after a domain's first epoch; Infinity = off (default ${DEFAULT-VALUE}).")
    double robustRepeatEpochs;

    @Option(
            names = "--robust-shrink",
            defaultValue = "" + RobustPikeParams.DEFAULT_SHRINK,
            description =
                    "robust-pike: each update pulls ln w this fraction of the way towards the anchor (an average of the last ~1/this updates); 0 = off (default ${DEFAULT-VALUE}).")
    double robustShrink;

    @Option(
            names = "--robust-anchor",
            defaultValue = RobustPikeParams.DEFAULT_ANCHOR,
            description =
                    "robust-pike: start from and pull towards 'temperature' (w ~ tokens^0.3), 'token' (w ~ tokens) or 'initial' (uniform or the prior) (default ${DEFAULT-VALUE}).")
    String robustAnchor;

    @Option(
            names = "--robust-held-out-rows",
            defaultValue = "" + RobustPikeParams.DEFAULT_HELD_OUT_ROWS,
            description =
                    "robust-pike: hold out this many training rows per domain (at most a quarter) and use the held-out signal <train grad, held-out grad> instead of |grad|^2; 0 = off (default ${DEFAULT-VALUE}).")
    int robustHeldOutRows;

    @Option(
            names = "--robust-metric",
            defaultValue = RobustPikeParams.DEFAULT_METRIC,
            description =
                    "robust-pike: compute the gradient statistics in the 'sgd' (Euclidean, PiKE's) or 'adam' metric (<x, y> weighted by 1/(sqrt(v)+eps), AdamW's second moments; single-process trainer) (default ${DEFAULT-VALUE}).")
    String robustMetric;

    /** Strategy {@code name} with these hyperparameters and every other option at its default. */
    StrategyOptions options(String name) {
        return StrategyOptions.defaults(name).withPike(zeta1, zeta2, tau, minWeight);
    }

    PikeParams params(int batchSize) {
        return new PikeParams(zeta1, zeta2, batchSize, tau, minWeight);
    }

    RobustPikeParams robust() {
        return new RobustPikeParams(
                robustSignal,
                robustNoise,
                robustFloor,
                robustMaxRatio,
                robustRepeatEpochs,
                robustShrink,
                robustAnchor,
                robustHeldOutRows,
                robustMetric);
    }

    /**
     * The strategy name a run records: {@code robust-pike} becomes {@code robust-pike:key=value,...} when a --robust-*
     * flag differs from its default (so the knobs reach the trainer through config.json and survive --resume). A spec
     * given as the name ({@code robust-pike:shrink=0.5}) is kept as it is.
     */
    String strategySpec(String name) {
        return name.equals(RobustPikeParams.NAME) ? robust().spec() : name;
    }
}
