package io.pikemix.cli;

import io.pikemix.format.Checks;
import io.pikemix.mixer.ConceptualParams;
import io.pikemix.mixer.DomainStats;
import io.pikemix.mixer.PikeParams;
import io.pikemix.mixer.Simplex;
import io.pikemix.mixer.Strategies;
import io.pikemix.mixer.Strategy;
import io.pikemix.mixer.io.StatsFile;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pike weights}: one offline weight update of the PiKE family from a statistics file, for analysis and
 * for checking a run's weight history by hand. Prints {@code {"weights":[...]}} on stdout.
 */
@Command(
        name = "weights",
        mixinStandardHelpOptions = true,
        description = {
            "Compute new mixture weights from a gradient-statistics file (one PiKE-family update).",
            "FILE.json: {\"grad_norm_sq\":[...],\"grad_var\":[...],\"loss\":[...]} (loss only for fair-pike).",
            "Prints {\"weights\":[...]} on stdout."
        })
public final class WeightsCommand implements Callable<Integer> {
    @Mixin
    PikeOptions pikeOptions;

    @Option(names = "--strategy", required = true, description = "pike | fair-pike | conceptual-pike | robust-pike")
    String strategy;

    @Option(
            names = "--tokens",
            split = ",",
            paramLabel = "n1,..,nK",
            description =
                    "robust-pike: training tokens per domain, for its temperature anchor (or pass --robust-anchor initial).")
    long[] tokens;

    @Option(
            names = "--epochs",
            split = ",",
            paramLabel = "e1,..,eK",
            description = "robust-pike: epochs each domain has consumed, for its repetition discount (default: all 0).")
    double[] epochs;

    @Option(
            names = "--weights",
            required = true,
            split = ",",
            paramLabel = "w1,..,wK",
            description = "Current weights, one per domain (normalised to sum 1).")
    double[] weights;

    @Option(names = "--stats", required = true, paramLabel = "FILE.json", description = "Per-domain statistics.")
    Path stats;

    @Option(
            names = "--batch",
            defaultValue = "" + PikeParams.DEFAULT_BATCH,
            description = "Global batch size b (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--eta",
            defaultValue = "" + ConceptualParams.DEFAULT_ETA,
            description = "Conceptual PiKE step size η (default ${DEFAULT-VALUE}).")
    double eta;

    @Option(
            names = "--L",
            defaultValue = "" + ConceptualParams.DEFAULT_SMOOTHNESS,
            description = "Conceptual PiKE smoothness L (default ${DEFAULT-VALUE}).")
    double smoothness;

    @Option(names = "--beta", description = "Conceptual PiKE β (default: eq. (8) from --c-conflict).")
    Double beta;

    @Option(names = "--gamma", description = "Conceptual PiKE γ (default: eq. (8) from --c-align).")
    Double gamma;

    @Option(
            names = "--c-conflict",
            defaultValue = "0",
            description = "c̲ of Definition 3.2 for β (default ${DEFAULT-VALUE}).")
    double cConflict;

    @Option(
            names = "--c-align",
            defaultValue = "1",
            description = "c̄ of Definition 3.3 for γ (default ${DEFAULT-VALUE}).")
    double cAlign;

    @Override
    public Integer call() {
        boolean robust = strategy.equals(io.pikemix.mixer.RobustPikeParams.NAME);
        Checks.require(
                strategy.equals("pike") || strategy.equals("fair-pike") || strategy.equals("conceptual-pike") || robust,
                "--strategy must be pike, fair-pike, conceptual-pike or robust-pike, got '%s'",
                strategy);
        Checks.require(robust || (tokens == null && epochs == null), "--tokens and --epochs are for robust-pike only");
        double[] current = Simplex.normalize(weights, "--weights");
        DomainStats domainStats = StatsFile.read(stats);
        Checks.require(
                domainStats.size() == current.length,
                "--weights has %d entries but %s covers %d domains",
                current.length,
                stats,
                domainStats.size());
        Checks.require(
                tokens == null || tokens.length == current.length,
                "--tokens has %d entries but --weights %d",
                tokens == null ? 0 : tokens.length,
                current.length);
        Checks.require(
                epochs == null || epochs.length == current.length,
                "--epochs has %d entries but --weights %d",
                epochs == null ? 0 : epochs.length,
                current.length);
        var options = pikeOptions
                .options(pikeOptions.strategySpec(strategy))
                .withPrior(current)
                .withConceptual(
                        eta,
                        smoothness,
                        cConflict,
                        cAlign,
                        beta == null ? Double.NaN : beta,
                        gamma == null ? Double.NaN : gamma);
        Strategy s = Strategies.forDataset(current.length, tokens, batch, 0, options);
        System.out.println(StatsFile.weightsJson(s.update(current, domainStats, epochs)));
        return 0;
    }
}
