package io.pikemix.cli;

import io.pikemix.mixer.PikeParams;
import io.pikemix.mixer.StrategyOptions;
import picocli.CommandLine.Option;

/** The PiKE / Fair-PiKE hyperparameters (Algorithms 1 and 3), shared by weights, mixer serve and train (a mixin). */
public final class PikeOptions {
    @Option(names = "--zeta1", defaultValue = "" + PikeParams.DEFAULT_ZETA1, description = "PiKE ζ1 (default ${DEFAULT-VALUE}).")
    double zeta1;

    @Option(names = "--zeta2", defaultValue = "" + PikeParams.DEFAULT_ZETA2, description = "PiKE ζ2 (default ${DEFAULT-VALUE}).")
    double zeta2;

    @Option(names = "--tau", defaultValue = "" + PikeParams.DEFAULT_TAU, description = "Fair-PiKE τ (default ${DEFAULT-VALUE}).")
    double tau;

    @Option(names = "--min-weight", defaultValue = "" + PikeParams.DEFAULT_MIN_WEIGHT,
            description = "Floor on every weight after a pike/fair-pike update; 0 = none (default ${DEFAULT-VALUE}).")
    double minWeight;

    /** Strategy {@code name} with these hyperparameters and every other option at its default. */
    StrategyOptions options(String name) { return StrategyOptions.defaults(name).withPike(zeta1, zeta2, tau, minWeight); }
}
