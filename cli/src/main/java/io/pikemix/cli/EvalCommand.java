package io.pikemix.cli;

import io.pikemix.evaluation.Comparison;
import io.pikemix.evaluation.RunEvaluation;
import io.pikemix.format.Checks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code pike eval}: per-domain validation loss and perplexity of a run ({@code --run}, writes RUN/eval.json), or
 * the strategies × domains table of several evaluated runs ({@code --compare}).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Per-domain validation loss/perplexity of a run (--run RUN; writes RUN/eval.json),",
                "or a strategies x domains table of evaluated runs with mean, worst and steps-to-reach (--compare RUN...)."})
public final class EvalCommand implements Callable<Integer> {
    @Mixin ShardCacheOption shardCache;
    @Option(names = "--run", paramLabel = "RUN", description = "Evaluate this run's newest checkpoint.") Path run;
    @Option(names = "--compare", arity = "1..*", paramLabel = "RUN", description = "Compare evaluated runs; the first is the baseline.")
    List<Path> compare;
    @Option(names = "--rows", defaultValue = "0", description = "Validation rows per domain, evenly spaced (default: all).") int rows;
    @Option(names = "--batch", defaultValue = "16", description = "Rows per forward pass (default ${DEFAULT-VALUE}).") int batch;

    @Override public Integer call() {
        TrainCommand.boundNativeMemory();
        Checks.require((run == null) != (compare == null), "pass exactly one of --run RUN or --compare RUN...");
        if (run != null) print(RunEvaluation.evaluate(run, rows, batch, io.pikemix.training.ModelKind.ENGINE, shardCache.bytes()), System.out);
        else printComparison(Comparison.compare(compare), System.out);
        return 0;
    }

    static void print(RunEvaluation.Report r, PrintStream out) {
        out.printf("%s (%s, step %d, %s validation rows per domain)%n", r.run(), r.strategy(), r.step(),
                r.rowsPerDomain() < 0 ? "all" : String.valueOf(r.rowsPerDomain()));
        var t = new Table(1, "domain", "val loss", "perplexity");
        for (int k = 0; k < r.domains().size(); k++)
            t.row(r.domains().get(k), String.format("%.4f", r.valLoss()[k]), String.format("%.2f", r.perplexity()[k]));
        t.row("mean", String.format("%.4f", r.mean()), String.format("%.2f", Math.exp(r.mean())));
        t.row("worst", String.format("%.4f", r.worst()), String.format("%.2f", Math.exp(r.worst())));
        t.print(out);
    }

    static void printComparison(Comparison.Result c, PrintStream out) {
        List<String> domains = c.rows().get(0).report().domains();
        var header = new String[domains.size() + 5];
        header[0] = "run";
        for (int k = 0; k < domains.size(); k++) header[k + 1] = domains.get(k);
        header[domains.size() + 1] = "mean";
        header[domains.size() + 2] = "worst";
        header[domains.size() + 3] = "steps to " + String.format("%.3f", c.target());
        header[domains.size() + 4] = "speed-up";
        var t = new Table(1, header);
        for (Comparison.Row row : c.rows()) {
            var r = row.report();
            var cells = new Object[header.length];
            cells[0] = r.strategy() + " (" + Path.of(r.run()).getFileName() + ")";
            for (int k = 0; k < domains.size(); k++) cells[k + 1] = String.format("%.4f", r.valLoss()[k]);
            cells[domains.size() + 1] = String.format("%.4f", r.mean());
            cells[domains.size() + 2] = String.format("%.4f", r.worst());
            cells[domains.size() + 3] = row.stepsToReach() < 0 ? "not reached" : String.valueOf(row.stepsToReach());
            double s = c.speedup(row);
            cells[domains.size() + 4] = Double.isNaN(s) ? "-" : String.format("%.2fx", s);
            t.row(cells);
        }
        out.println("validation loss (nats/token) per domain, from each run's eval.json; 'steps to': the first step at which a run's "
                + "training-time validation curve (val.jsonl) reaches the first run's last value on that curve");
        t.print(out);
    }
}
