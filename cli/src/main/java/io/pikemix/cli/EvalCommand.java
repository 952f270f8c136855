package io.pikemix.cli;

import io.pikemix.etl.tokenizer.Tokenizer;
import io.pikemix.etl.tokenizer.Tokenizers;
import io.pikemix.evaluation.Cloze;
import io.pikemix.evaluation.Comparison;
import io.pikemix.evaluation.Downstream;
import io.pikemix.evaluation.Plots;
import io.pikemix.evaluation.RunEvaluation;
import io.pikemix.evaluation.Tables;
import io.pikemix.format.Checks;
import io.pikemix.format.DatasetDir;
import io.pikemix.format.DatasetInfo;
import io.pikemix.training.ModelKind;
import io.pikemix.training.Trainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pike eval}: per-domain validation loss and perplexity of a run, its validation cloze accuracy and any
 * downstream tasks ({@code --run}, writes RUN/eval.json); the strategies table of several evaluated runs
 * ({@code --compare}, also written as Markdown and CSV); or the figures of runs as PNGs ({@code --plots}).
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = {
            "Per-domain validation loss/perplexity, validation cloze accuracy and downstream tasks of a run",
            "(--run RUN [--task NAME=PATH...]; writes RUN/eval.json), a strategies table of evaluated runs like the",
            "paper's Tables 1-2 (--compare RUN...; writes comparison.md and .csv), or PNG figures (--plots RUN...)."
        })
public final class EvalCommand implements Callable<Integer> {
    @Mixin
    ShardCacheOption shardCache;

    @Option(names = "--run", paramLabel = "RUN", description = "Evaluate this run's newest checkpoint.")
    Path run;

    @Option(
            names = "--compare",
            arity = "1..*",
            paramLabel = "RUN",
            description = "Compare evaluated runs; the first is the baseline.")
    List<Path> compare;

    @Option(
            names = "--plots",
            arity = "1..*",
            paramLabel = "RUN",
            description = "Draw each run's figures into RUN/plots/ (or --out).")
    List<Path> plots;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = {
                "--compare: where comparison.md/.csv go (default: the first run's parent);",
                "--plots: one folder for every figure instead of each RUN/plots/."
            })
    Path out;

    @Option(
            names = "--rows",
            defaultValue = "0",
            description = "Validation rows per domain, evenly spaced (default: all).")
    int rows;

    @Option(names = "--batch", defaultValue = "16", description = "Rows per forward pass (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--task",
            paramLabel = "NAME=PATH",
            description = {
                "A downstream task file: hellaswag, arc, csqa, piqa",
                "(X.jsonl with X-labels.lst beside it) or hellaswag-LANG (multilingual). Repeatable."
            })
    List<String> tasks = List.of();

    @Option(
            names = "--shots",
            split = ",",
            defaultValue = "0",
            description = "k-shot settings for --task (default ${DEFAULT-VALUE}; e.g. 0,5).")
    List<Integer> shots;

    @Option(
            names = "--limit",
            defaultValue = "0",
            description = "Score only each task's first N examples (default: all; the paper: HellaSwag's first 3000).")
    int limit;

    @Option(
            names = "--cloze-items",
            defaultValue = "" + Cloze.DEFAULT_ITEMS,
            description = "Validation cloze items per domain (default ${DEFAULT-VALUE}; 0: skip the cloze task).")
    int clozeItems;

    @Option(
            names = "--seed",
            defaultValue = "" + RunEvaluation.Options.DEFAULT_SEED,
            description = "Seed of the cloze items and the k-shot demonstrations (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        TrainCommand.boundNativeMemory();
        int modes = (run != null ? 1 : 0) + (compare != null ? 1 : 0) + (plots != null ? 1 : 0);
        Checks.require(modes == 1, "pass exactly one of --run RUN, --compare RUN... or --plots RUN...");
        Checks.require(run != null || tasks.isEmpty(), "--task needs --run RUN");
        if (run != null) {
            var taskList = tasks.stream().map(RunEvaluation.Task::parse).toList();
            Downstream.TextEncoder encoder = taskList.isEmpty() ? null : tokenizer(run)::encode;
            var options = new RunEvaluation.Options(
                    rows,
                    batch,
                    ModelKind.ENGINE,
                    shardCache.bytes(),
                    clozeItems,
                    taskList,
                    shots,
                    limit,
                    seed,
                    encoder);
            print(RunEvaluation.evaluate(run, options), System.out);
        } else if (compare != null) {
            Comparison.Result c = Comparison.compare(compare);
            printComparison(c, System.out);
            Path dir = out != null ? out : parent(compare.get(0));
            var files = Tables.write(c, dir);
            System.err.println("eval: wrote " + files.get("markdown") + " and " + files.get("csv"));
        } else {
            Plots.Result r = Plots.write(plots, out);
            for (String s : r.skipped()) System.err.println("eval: " + s);
            for (Path p : r.written()) System.out.println(p);
        }
        return 0;
    }

    private static Path parent(Path run) {
        Path p = run.toAbsolutePath().normalize().getParent();
        return p != null ? p : Path.of(".");
    }

    /** The tokenizer the run's dataset was built with (its tokenizer.json, or a tiktoken encoding by name). */
    static Tokenizer tokenizer(Path run) {
        String uri = Trainer.readConfig(run).dataset();
        DatasetDir dataset = DatasetDir.of(uri);
        DatasetInfo info = DatasetInfo.read(dataset);
        return info.tokenizer().file() != null
                ? Tokenizers.fromJson(dataset.readAllBytes(info.tokenizer().file()))
                : Tokenizers.load(info.tokenizer().name(), null);
    }

    static void print(RunEvaluation.Report r, PrintStream out) {
        out.printf(
                "%s (%s, step %d, %s validation rows per domain)%n",
                r.run(), r.strategy(), r.step(), r.rowsPerDomain() < 0 ? "all" : String.valueOf(r.rowsPerDomain()));
        var cz = r.cloze();
        var t = cz == null
                ? new Table(1, "domain", "val loss", "perplexity")
                : new Table(1, "domain", "val loss", "perplexity", "cloze acc", "items");
        for (int k = 0; k < r.domains().size(); k++)
            if (cz == null)
                t.row(
                        r.domains().get(k),
                        String.format("%.4f", r.valLoss()[k]),
                        String.format("%.2f", r.perplexity()[k]));
            else
                t.row(
                        r.domains().get(k),
                        String.format("%.4f", r.valLoss()[k]),
                        String.format("%.2f", r.perplexity()[k]),
                        accuracy(cz.accuracy()[k]),
                        String.valueOf(cz.items()[k]));
        String chance = cz == null ? null : String.format(Locale.ROOT, "(chance %.2f)", cz.chance());
        if (cz == null) {
            t.row("mean", String.format("%.4f", r.mean()), String.format("%.2f", Math.exp(r.mean())));
            t.row("worst", String.format("%.4f", r.worst()), String.format("%.2f", Math.exp(r.worst())));
        } else {
            t.row(
                    "mean",
                    String.format("%.4f", r.mean()),
                    String.format("%.2f", Math.exp(r.mean())),
                    accuracy(cz.mean()),
                    chance);
            t.row("worst", String.format("%.4f", r.worst()), String.format("%.2f", Math.exp(r.worst())), "", "");
        }
        t.print(out);
        if (!r.downstream().isEmpty()) {
            var d = new Table(1, "task", "shots", "items", "accuracy (avg LL)", "accuracy (sum LL)", "chance");
            for (var task : r.downstream())
                d.row(
                        task.name(),
                        String.valueOf(task.shots()),
                        String.valueOf(task.items()),
                        accuracy(task.accuracy()),
                        accuracy(task.accuracyBySum()),
                        accuracy(task.chance()));
            d.print(out);
        }
    }

    private static String accuracy(double a) {
        return Double.isNaN(a) ? "-" : String.format(Locale.ROOT, "%.3f", a);
    }

    static void printComparison(Comparison.Result c, PrintStream out) {
        List<String> domains = c.rows().get(0).report().domains();
        var header = new String[domains.size() + 6];
        header[0] = "run";
        for (int k = 0; k < domains.size(); k++) header[k + 1] = domains.get(k);
        header[domains.size() + 1] = "mean";
        header[domains.size() + 2] = "worst";
        header[domains.size() + 3] = "cloze acc";
        header[domains.size() + 4] = "steps to " + String.format("%.3f", c.target());
        header[domains.size() + 5] = "speed-up";
        var t = new Table(1, header);
        for (Comparison.Row row : c.rows()) {
            var r = row.report();
            var cells = new Object[header.length];
            cells[0] = r.strategy() + " (" + Path.of(r.run()).getFileName() + ")";
            for (int k = 0; k < domains.size(); k++) cells[k + 1] = String.format("%.4f", r.valLoss()[k]);
            cells[domains.size() + 1] = String.format("%.4f", r.mean());
            cells[domains.size() + 2] = String.format("%.4f", r.worst());
            cells[domains.size() + 3] = accuracy(r.clozeAccuracy());
            cells[domains.size() + 4] = row.stepsToReach() < 0 ? "not reached" : String.valueOf(row.stepsToReach());
            double s = c.speedup(row);
            cells[domains.size() + 5] = Double.isNaN(s) ? "-" : String.format("%.2fx", s);
            t.row(cells);
        }
        out.println(
                "validation loss (nats/token) per domain, from each run's eval.json; cloze acc: the validation cloze task "
                        + "(4 candidates, chance 0.25); 'steps to': the first step at which a run's training-time validation curve "
                        + "(val.jsonl) reaches the first run's last value on that curve");
        t.print(out);
    }
}
