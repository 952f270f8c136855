package io.pikemix.evaluation;

import io.pikemix.format.Checks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * {@code pike eval --compare}'s report, laid out like the paper's Tables 1–2: one row per run (strategy), then
 * each domain's validation perplexity, their mean and worst (lower is better), the downstream accuracies — the
 * validation cloze task and every task × shots some run's eval.json holds — and their mean (higher is better),
 * and the steps each run needed to reach the first run's final mean validation loss with the speed-up
 * ({@link Comparison}). Markdown bolds the best value of each column, as the paper does; the CSV has the same
 * columns with plain numbers (accuracies as fractions).
 */
public final class Tables {
    private Tables() {}

    public static final String MARKDOWN = "comparison.md", CSV = "comparison.csv";

    /** One column: its header, how to read it from a row, and whether lower is better. */
    private record Column(
            String header, String csvName, ToDoubleFunction<Comparison.Row> value, boolean lowerIsBetter, Kind kind) {}

    private enum Kind {
        PERPLEXITY,
        ACCURACY,
        STEPS,
        SPEEDUP
    }

    /** The downstream columns: "cloze" first (when any run has it), then task × shots in first-seen order. */
    static List<String> downstreamNames(Comparison.Result c) {
        var names = new ArrayList<String>();
        if (c.rows().stream().anyMatch(r -> r.report().cloze() != null)) names.add("cloze");
        for (var row : c.rows())
            for (var t : row.report().downstream()) {
                String n = taskName(t);
                if (!names.contains(n)) names.add(n);
            }
        return names;
    }

    static String taskName(Downstream.TaskResult t) {
        return t.name() + " " + t.shots() + "-shot";
    }

    /** A row's accuracy on a downstream column (NaN when its eval.json lacks it). */
    static double accuracy(Comparison.Row row, String name) {
        var r = row.report();
        if (name.equals("cloze")) return r.clozeAccuracy();
        return r.downstream().stream()
                .filter(t -> taskName(t).equals(name))
                .mapToDouble(Downstream.TaskResult::accuracy)
                .findFirst()
                .orElse(Double.NaN);
    }

    /** Mean of a row's downstream accuracies; NaN when it lacks any of them (a mean over other tasks would mislead). */
    static double accuracyMean(Comparison.Row row, List<String> names) {
        if (names.isEmpty()) return Double.NaN;
        double s = 0;
        for (String n : names) s += accuracy(row, n);
        return s / names.size();
    }

    static double perplexityMean(Comparison.Row row) {
        double s = 0;
        for (double p : row.report().perplexity()) s += p;
        return s / row.report().perplexity().length;
    }

    static double perplexityWorst(Comparison.Row row) {
        double w = Double.NEGATIVE_INFINITY;
        for (double p : row.report().perplexity()) w = Math.max(w, p);
        return w;
    }

    private static List<Column> columns(Comparison.Result c) {
        List<String> domains = c.rows().get(0).report().domains();
        var cols = new ArrayList<Column>();
        for (int k = 0; k < domains.size(); k++) {
            int kk = k;
            cols.add(new Column(
                    domains.get(k) + " PPL ↓",
                    "ppl_" + domains.get(k),
                    r -> r.report().perplexity()[kk],
                    true,
                    Kind.PERPLEXITY));
        }
        cols.add(new Column("mean PPL ↓", "ppl_mean", Tables::perplexityMean, true, Kind.PERPLEXITY));
        cols.add(new Column("worst PPL ↓", "ppl_worst", Tables::perplexityWorst, true, Kind.PERPLEXITY));
        List<String> tasks = downstreamNames(c);
        if (!tasks.isEmpty()) {
            cols.add(new Column("accuracy (%) ↑", "accuracy_mean", r -> accuracyMean(r, tasks), false, Kind.ACCURACY));
            for (String t : tasks)
                cols.add(new Column(t + " ↑", "acc_" + t.replace(' ', '_'), r -> accuracy(r, t), false, Kind.ACCURACY));
        }
        cols.add(new Column(
                String.format(Locale.ROOT, "steps to %.4f ↓", c.target()),
                "steps_to_target",
                r -> r.stepsToReach() < 0 ? Double.NaN : r.stepsToReach(),
                true,
                Kind.STEPS));
        cols.add(new Column("speed-up ↑", "speedup", c::speedup, false, Kind.SPEEDUP));
        return cols;
    }

    static String label(Comparison.Row r) {
        return r.report().strategy() + " (" + Path.of(r.report().run()).getFileName() + ")";
    }

    /** The Markdown table (with a line that says what the numbers are) and, when scored, the cloze accuracy per domain. */
    public static String markdown(Comparison.Result c) {
        Checks.require(!c.rows().isEmpty(), "nothing to compare");
        List<Column> cols = columns(c);
        var sb = new StringBuilder("# Comparison\n\n");
        sb.append(String.format(
                Locale.ROOT,
                "Validation perplexity exp(loss) per domain of each run's newest checkpoint (eval.json), "
                        + "their mean and worst; downstream accuracy in %% (cloze = the validation cloze task, 4 candidates, chance 25 %%; "
                        + "tasks by average log-likelihood, OLMES); 'accuracy' = their mean. Steps to %.4f = the first step at which a "
                        + "run's training-time validation curve (val.jsonl) reaches the first run's last value on it; speed-up = the "
                        + "first run's steps / these. Bold: the best of each column.%n%n",
                c.target()));
        sb.append("| strategy |");
        for (Column col : cols) sb.append(' ').append(col.header()).append(" |");
        sb.append("\n|---|").append("---:|".repeat(cols.size())).append('\n');
        for (var row : c.rows()) {
            sb.append("| ").append(label(row)).append(" |");
            for (Column col : cols) {
                double v = col.value().applyAsDouble(row);
                String cell = format(v, col.kind());
                sb.append(' ')
                        .append(isBest(c, col, v) ? "**" + cell + "**" : cell)
                        .append(" |");
            }
            sb.append('\n');
        }
        if (c.rows().stream().anyMatch(r -> r.report().cloze() != null)) sb.append(clozeByDomain(c));
        return sb.toString();
    }

    private static String clozeByDomain(Comparison.Result c) {
        List<String> domains = c.rows().get(0).report().domains();
        var sb = new StringBuilder(
                "\nValidation cloze accuracy (%) per domain (items per domain in brackets; chance 25 %):\n\n| strategy |");
        for (String d : domains) sb.append(' ').append(d).append(" |");
        sb.append(" mean |\n|---|").append("---:|".repeat(domains.size() + 1)).append('\n');
        for (var row : c.rows()) {
            var cz = row.report().cloze();
            sb.append("| ").append(label(row)).append(" |");
            for (int k = 0; k < domains.size(); k++)
                sb.append(' ')
                        .append(cz == null ? "–" : format(cz.accuracy()[k], Kind.ACCURACY) + " (" + cz.items()[k] + ")")
                        .append(" |");
            sb.append(' ')
                    .append(cz == null ? "–" : format(cz.mean(), Kind.ACCURACY))
                    .append(" |\n");
        }
        return sb.toString();
    }

    private static boolean isBest(Comparison.Result c, Column col, double v) {
        if (Double.isNaN(v) || c.rows().size() < 2) return false;
        for (var row : c.rows()) {
            double o = col.value().applyAsDouble(row);
            if (!Double.isNaN(o) && (col.lowerIsBetter() ? o < v : o > v)) return false;
        }
        return true;
    }

    private static String format(double v, Kind kind) {
        if (Double.isNaN(v)) return kind == Kind.STEPS ? "not reached" : "–";
        return switch (kind) {
            case PERPLEXITY -> String.format(Locale.ROOT, "%.2f", v);
            case ACCURACY -> String.format(Locale.ROOT, "%.1f", 100 * v);
            case STEPS -> String.format(Locale.ROOT, "%.0f", v);
            case SPEEDUP -> String.format(Locale.ROOT, "%.2f×", v);
        };
    }

    /** The CSV: header "strategy,run,COLUMNS…", one line per run; empty cells for values a run lacks. */
    public static String csv(Comparison.Result c) {
        List<Column> cols = columns(c);
        var sb = new StringBuilder("strategy,run");
        for (Column col : cols) sb.append(',').append(col.csvName());
        sb.append('\n');
        for (var row : c.rows()) {
            sb.append(quote(row.report().strategy()))
                    .append(',')
                    .append(quote(row.report().run()));
            for (Column col : cols) {
                double v = col.value().applyAsDouble(row);
                sb.append(',');
                if (!Double.isNaN(v))
                    sb.append(col.kind() == Kind.STEPS ? String.format(Locale.ROOT, "%.0f", v) : Double.toString(v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String quote(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** Writes {@code dir/comparison.md} and {@code dir/comparison.csv}; returns their paths. */
    public static Map<String, Path> write(Comparison.Result c, Path dir) {
        try {
            Files.createDirectories(dir);
            var out = new LinkedHashMap<String, Path>();
            out.put("markdown", Files.writeString(dir.resolve(MARKDOWN), markdown(c)));
            out.put("csv", Files.writeString(dir.resolve(CSV), csv(c)));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
