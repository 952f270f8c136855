package io.pikemix.cli;

import io.pikemix.format.Checks;
import io.pikemix.mixer.RobustPikeParams;
import io.pikemix.mixer.Strategies;
import io.pikemix.training.AdamW;
import io.pikemix.training.GptConfig;
import io.pikemix.training.LrSchedule;
import io.pikemix.training.TrainConfig;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The model shape and the PiKE statistics cadence shared by {@code train}, {@code compare} and {@code demo} (a mixin),
 * and the one place those commands turn their flags into a {@link TrainConfig}. The commands differ only in their
 * defaults for the micro-batches per domain (the demo's batch of 8 wants 4 of one row each), which each passes in.
 */
public final class ModelOptions {
    @Option(names = "--layers", defaultValue = "2", description = "Transformer blocks (default ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--heads", defaultValue = "4", description = "Attention heads (default ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--width", defaultValue = "128", description = "Model width d (default ${DEFAULT-VALUE}).")
    int width;

    @Option(
            names = "--ln-epsilon",
            defaultValue = "" + GptConfig.FLAX_LN_EPSILON,
            description = "LayerNorm epsilon (default ${DEFAULT-VALUE}, Flax's; 0 = ND4J's fused layer_norm kernel).")
    double lnEpsilon;

    @Option(
            names = "--update-interval",
            defaultValue = "10",
            description = "T: PiKE statistics every T steps (default ${DEFAULT-VALUE}; Table 7: 1000).")
    int updateInterval;

    @Option(
            names = "--stats-micro-batches",
            paramLabel = "M",
            description = "Micro-batches per domain at a statistics step (default: 2; pike demo: 4, one row each).")
    Integer statsMicroBatches;

    TrainConfig.ModelShape shape() {
        return new TrainConfig.ModelShape(layers, heads, width, lnEpsilon);
    }

    /** --stats-micro-batches, or {@code commandDefault} when not given. */
    int microBatches(int commandDefault) {
        return statsMicroBatches != null ? statsMicroBatches : commandDefault;
    }

    TrainConfig.Statistics statistics(int defaultMicroBatches, boolean fused) {
        return new TrainConfig.Statistics(updateInterval, microBatches(defaultMicroBatches), fused);
    }

    /**
     * A run of {@code steps} steps with the schedule and AdamW of Table 6 (peak {@code lrPeak}, warm-up 10 %) — what
     * compare and demo train; train builds its own schedule and AdamW from its flags and calls the record directly.
     */
    TrainConfig config(
            String dataset,
            String strategy,
            int batch,
            long seed,
            long steps,
            double lrPeak,
            TrainConfig.Pike pike,
            int defaultMicroBatches,
            TrainConfig.Cadence cadence) {
        return new TrainConfig(
                dataset,
                strategy,
                batch,
                seed,
                shape(),
                new LrSchedule(7e-6, lrPeak, 7e-6, steps / 10, steps),
                AdamW.Hyper.table6(),
                pike,
                statistics(defaultMicroBatches, true),
                cadence);
    }

    /** "model 2 layers x 128 wide, 4 heads". */
    String describe() {
        return String.format(Locale.ROOT, "model %d layers x %d wide, %d heads", layers, width, heads);
    }

    /**
     * Checks a strategy list of compare or demo: not empty, no duplicates, each a CLI strategy name or a robust-pike
     * spec ({@code robust-pike:shrink=0.5,anchor=initial}).
     */
    static void checkStrategies(List<String> strategies, List<Long> seeds) {
        Checks.require(!strategies.isEmpty() && !seeds.isEmpty(), "--strategies and --seeds must not be empty");
        Checks.require(
                strategies.stream().distinct().count() == strategies.size(),
                "--strategies lists a strategy twice: %s",
                strategies);
        Checks.require(seeds.stream().distinct().count() == seeds.size(), "--seeds lists a seed twice: %s", seeds);
        for (String s : strategies) {
            if (RobustPikeParams.isSpec(s)) RobustPikeParams.parse(s); // a usage error naming the bad key or number
            else
                Checks.require(
                        Strategies.NAMES.contains(s),
                        "unknown strategy '%s'; expected one of %s (or robust-pike:key=value,...)",
                        s,
                        String.join(", ", Strategies.NAMES));
        }
    }

    /**
     * picocli's split for --strategies: a comma, except one that separates the key=value pairs of a robust-pike spec
     * ({@code mix,robust-pike:shrink=0.5,anchor=initial,temperature} is three strategies).
     */
    static final String STRATEGY_SPLIT = ",(?![A-Za-z-]+=)";
}
