package io.pikemix.cli;

import io.pikemix.format.Checks;
import io.pikemix.mixer.ConceptualParams;
import io.pikemix.mixer.DomainStats;
import io.pikemix.mixer.PikeParams;
import io.pikemix.mixer.Simplex;
import io.pikemix.mixer.Strategies;
import io.pikemix.mixer.Strategy;
import io.pikemix.mixer.io.StatsFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code pike weights}: one offline weight update of the PiKE family from a statistics file, for analysis and
 * for checking a run's weight history by hand. Prints {@code {"weights":[...]}} on stdout.
 */
@Command(name = "weights", mixinStandardHelpOptions = true,
        description = {"Compute new mixture weights from a gradient-statistics file (one PiKE-family update).",
                "FILE.json: {\"grad_norm_sq\":[...],\"grad_var\":[...],\"loss\":[...]} (loss only for fair-pike).",
                "Prints {\"weights\":[...]} on stdout."})
public final class WeightsCommand implements Callable<Integer> {
    @Mixin PikeOptions pikeOptions;

    @Option(names = "--strategy", required = true, description = "pike | fair-pike | conceptual-pike")
    String strategy;

    @Option(names = "--weights", required = true, split = ",", paramLabel = "w1,..,wK",
            description = "Current weights, one per domain (normalised to sum 1).")
    double[] weights;

    @Option(names = "--stats", required = true, paramLabel = "FILE.json", description = "Per-domain statistics.")
    Path stats;

    @Option(names = "--batch", defaultValue = "" + PikeParams.DEFAULT_BATCH, description = "Global batch size b (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--eta", defaultValue = "" + ConceptualParams.DEFAULT_ETA, description = "Conceptual PiKE step size η (default ${DEFAULT-VALUE}).")
    double eta;

    @Option(names = "--L", defaultValue = "" + ConceptualParams.DEFAULT_SMOOTHNESS, description = "Conceptual PiKE smoothness L (default ${DEFAULT-VALUE}).")
    double smoothness;

    @Option(names = "--beta", description = "Conceptual PiKE β (default: eq. (8) from --c-conflict).")
    Double beta;

    @Option(names = "--gamma", description = "Conceptual PiKE γ (default: eq. (8) from --c-align).")
    Double gamma;

    @Option(names = "--c-conflict", defaultValue = "0", description = "c̲ of Definition 3.2 for β (default ${DEFAULT-VALUE}).")
    double cConflict;

    @Option(names = "--c-align", defaultValue = "1", description = "c̄ of Definition 3.3 for γ (default ${DEFAULT-VALUE}).")
    double cAlign;

    @Override public Integer call() {
        Checks.require(strategy.equals("pike") || strategy.equals("fair-pike") || strategy.equals("conceptual-pike"),
                "--strategy must be pike, fair-pike or conceptual-pike, got '%s'", strategy);
        double[] current = Simplex.normalize(weights, "--weights");
        DomainStats domainStats = StatsFile.read(stats);
        Checks.require(domainStats.size() == current.length,
                "--weights has %d entries but %s covers %d domains", current.length, stats, domainStats.size());
        var options = pikeOptions.options(strategy).withPrior(current).withConceptual(eta, smoothness, cConflict, cAlign,
                beta == null ? Double.NaN : beta, gamma == null ? Double.NaN : gamma);
        Strategy s = Strategies.forDataset(current.length, null, batch, 0, options);
        System.out.println(StatsFile.weightsJson(s.update(current, domainStats)));
        return 0;
    }
}
