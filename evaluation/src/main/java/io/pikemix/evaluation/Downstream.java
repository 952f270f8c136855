package io.pikemix.evaluation;

import io.pikemix.evaluation.TaskReaders.Example;
import io.pikemix.format.Checks;
import io.pikemix.training.GradientModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A downstream task run the OLMES way (paper Appendix D.7): k-shot prompts — k solved demonstrations, each
 * "prompt + right answer", then the question's prompt, all separated by a blank line ("\n\n") — tokenized with the
 * run's tokenizer, and each candidate scored by {@link MultipleChoice} (average and sum log-likelihood).
 *
 * <p>The demonstrations of example i are k other examples of the same file, drawn without replacement by
 * {@code new SplittableRandom(seed + i)}: the same every time, never the question itself. (OLMES draws them from
 * the training split; a file holds one split, so here they come from the evaluated one, minus the question.)
 */
public final class Downstream {
    private Downstream() {}

    /** Token ids of a text, without special tokens (the run's tokenizer; the CLI passes the dataset's). */
    @FunctionalInterface
    public interface TextEncoder {
        int[] encode(String text);
    }

    /** One task's result: its name, shots, and the accuracy by average and by sum log-likelihood. */
    public record TaskResult(String name, int shots, int items, double accuracy, double accuracyBySum, double chance) {}

    /** The k-shot prompt of example {@code i}: demonstrations and the question, separated by blank lines. */
    static String prompt(List<Example> examples, int i, int shots, long seed) {
        Checks.require(shots >= 0, "--shots must be >= 0, got %d", shots);
        Checks.require(
                shots < examples.size(),
                "%d-shot prompts need more than %d examples, the task has %d",
                shots,
                shots,
                examples.size());
        var sb = new StringBuilder();
        for (int d : demonstrations(examples.size(), i, shots, seed))
            sb.append(examples.get(d).solved()).append("\n\n");
        return sb.append(examples.get(i).context()).toString();
    }

    /** k distinct indices in [0, n) other than i (a partial Fisher–Yates shuffle). */
    static int[] demonstrations(int n, int i, int shots, long seed) {
        var rng = new SplittableRandom(seed + i);
        var pool = new int[n - 1];
        for (int j = 0, at = 0; j < n; j++) if (j != i) pool[at++] = j;
        var out = new int[shots];
        for (int s = 0; s < shots; s++) {
            int r = s + rng.nextInt(pool.length - s);
            int t = pool[s];
            pool[s] = pool[r];
            pool[r] = t;
            out[s] = pool[s];
        }
        return out;
    }

    /** The scoring items of the first {@code count} examples: prompts and candidates as token ids. */
    public static List<MultipleChoice.Item> items(
            List<Example> examples, int count, TextEncoder encoder, int shots, long seed) {
        var items = new ArrayList<MultipleChoice.Item>(count);
        for (int i = 0; i < count; i++) {
            Example e = examples.get(i);
            var candidates = new ArrayList<int[]>();
            for (String c : e.choices()) candidates.add(encoder.encode(c));
            items.add(new MultipleChoice.Item(encoder.encode(prompt(examples, i, shots, seed)), candidates, e.label()));
        }
        return items;
    }

    /**
     * Runs the task on the first {@code limit} examples (≤ 0: all; the paper scores HellaSwag's first 3,000);
     * demonstrations come from the whole file.
     */
    public static TaskResult run(
            String name,
            List<Example> examples,
            GradientModel model,
            TextEncoder encoder,
            int shots,
            int limit,
            long seed,
            int batch) {
        Checks.require(!examples.isEmpty(), "task '%s' has no examples", name);
        int count = limit > 0 ? Math.min(limit, examples.size()) : examples.size();
        List<Example> used = examples.subList(0, count);
        MultipleChoice.Result r = MultipleChoice.evaluate(model, items(examples, count, encoder, shots, seed), batch);
        double chance = used.stream()
                .mapToDouble(e -> 1.0 / e.choices().size())
                .average()
                .orElse(Double.NaN);
        return new TaskResult(name, shots, r.items(), r.accuracy(), r.accuracyBySum(), chance);
    }
}
