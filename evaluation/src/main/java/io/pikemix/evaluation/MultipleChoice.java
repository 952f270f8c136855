package io.pikemix.evaluation;

import io.pikemix.format.Checks;
import io.pikemix.training.Batch;
import io.pikemix.training.GradientModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Multiple-choice scoring as in the paper's Appendix D.7 and OLMES (Gu et al., 2024, "cloze formulation"): each
 * candidate continuation c = (c_1 … c_m) of a context x is scored by its log-likelihood under the model,
 *
 *   sum(c)     = Σ_j log p(c_j | x, c_1 … c_(j−1))
 *   average(c) = sum(c) / m
 *
 * and the candidate with the highest score is the prediction (ties go to the lower index). The paper uses the
 * average; the sum is reported beside it. The two agree when all candidates have the same token length.
 *
 * <p>Each (context, candidate) pair is one row of the model's context T: the candidate (its first T tokens if
 * longer) after as much of the context as fits, so the context is cut from the left; rows are padded on the right
 * with token 0, which a causal model cannot see from the scored positions. Rows go through
 * {@link GradientModel#tokenLosses} (forward pass only, no gradient) {@code batch} at a time, and
 * log p(c_j | …) = −(token loss at the position that predicts c_j).
 */
public final class MultipleChoice {
    private MultipleChoice() {}

    /** One question: token ids of the context, of each candidate, and the index of the right candidate. */
    public record Item(int[] context, List<int[]> candidates, int label) {
        public Item {
            Checks.require(context.length > 0, "a multiple-choice context must hold at least one token");
            Checks.require(
                    candidates.size() >= 2,
                    "a multiple-choice item needs at least 2 candidates, got %d",
                    candidates.size());
            for (int[] c : candidates)
                Checks.require(c.length > 0, "a candidate continuation must hold at least one token");
            Checks.require(
                    label >= 0 && label < candidates.size(),
                    "label %d is not one of the %d candidates",
                    label,
                    candidates.size());
            candidates = List.copyOf(candidates);
        }
    }

    /** Per candidate of one item: the summed log-likelihood (nats) and the number of tokens it covers. */
    public record Scores(double[] sum, int[] tokens) {
        public double average(int j) {
            return sum[j] / tokens[j];
        }

        /** The candidate with the highest average log-likelihood (the paper's rule). */
        public int byAverage() {
            var avg = new double[sum.length];
            for (int j = 0; j < avg.length; j++) avg[j] = average(j);
            return argmax(avg);
        }

        /** The candidate with the highest summed log-likelihood. */
        public int bySum() {
            return argmax(sum);
        }
    }

    /** Accuracy of a set of items by both rules. */
    public record Result(int items, int correctByAverage, int correctBySum) {
        public double accuracy() {
            return items == 0 ? Double.NaN : (double) correctByAverage / items;
        }

        public double accuracyBySum() {
            return items == 0 ? Double.NaN : (double) correctBySum / items;
        }
    }

    /** Scores every item's candidates and counts the right predictions by each rule. */
    public static Result evaluate(GradientModel model, List<Item> items, int batch) {
        List<Scores> scores = score(model, items, batch);
        int avg = 0, sum = 0;
        for (int i = 0; i < items.size(); i++) {
            if (scores.get(i).byAverage() == items.get(i).label()) avg++;
            if (scores.get(i).bySum() == items.get(i).label()) sum++;
        }
        return new Result(items.size(), avg, sum);
    }

    /** Log-likelihoods of every candidate of every item, {@code batch} rows per forward pass. */
    public static List<Scores> score(GradientModel model, List<Item> items, int batch) {
        Checks.require(batch > 0, "--batch must be > 0, got %d", batch);
        int T = model.config().context();
        var rows = new ArrayList<Row>();
        for (Item item : items) for (int[] c : item.candidates()) rows.add(row(item.context(), c, T));
        var sums = new double[rows.size()];
        for (int start = 0; start < rows.size(); start += batch) {
            int size = Math.min(batch, rows.size() - start);
            var tokens = new int[batch][]; // a full batch every time: one engine pass is reused
            for (int i = 0; i < batch; i++)
                tokens[i] = i < size ? rows.get(start + i).tokens() : new int[T + 1];
            float[] loss = model.tokenLosses(Batch.of(tokens, T)); // [batch·T]
            for (int i = 0; i < size; i++) {
                Row r = rows.get(start + i);
                double s = 0;
                for (int j = 0; j < r.count(); j++) s -= loss[i * T + r.first() + j];
                sums[start + i] = s;
            }
        }
        var out = new ArrayList<Scores>(items.size());
        int at = 0;
        for (Item item : items) {
            int n = item.candidates().size();
            var sum = new double[n];
            var count = new int[n];
            for (int j = 0; j < n; j++, at++) {
                sum[j] = sums[at];
                count[j] = rows.get(at).count();
            }
            out.add(new Scores(sum, count));
        }
        return out;
    }

    /**
     * A scoring row: {@code tokens} (T + 1 ids: inputs are the first T, targets the last T) and the target
     * positions [first, first + count) that predict the candidate's tokens.
     */
    record Row(int[] tokens, int first, int count) {}

    /** Context (left-truncated) then candidate (its first T tokens), padded with 0 to T + 1 tokens. */
    static Row row(int[] context, int[] candidate, int T) {
        int m = Math.min(candidate.length, T);
        int c = Math.min(context.length, T + 1 - m); // ≥ 1: m ≤ T
        var tokens = new int[T + 1];
        System.arraycopy(context, context.length - c, tokens, 0, c);
        System.arraycopy(candidate, 0, tokens, c, m);
        return new Row(tokens, c - 1, m); // target t predicts tokens[t + 1]
    }

    /** Index of the largest value; ties go to the lower index. */
    static int argmax(double[] v) {
        int best = 0;
        for (int j = 1; j < v.length; j++) if (v[j] > v[best]) best = j;
        return best;
    }
}
