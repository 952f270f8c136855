package io.pikemix.evaluation;

import io.pikemix.format.Checks;
import io.pikemix.training.GradientModel;
import io.pikemix.training.RowSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A downstream task every run can score on its own data: a four-way cloze built from each domain's validation
 * split (documents the ETL held out by hash, never a training document). An item is a context of real text and
 * four candidate continuations of the same token length m: the true continuation, and three m-token spans of
 * other validation documents of the same domain. The model picks by average log-likelihood
 * ({@link MultipleChoice}; with equal lengths the sum picks the same), so chance is 1/4.
 *
 * <p>Construction, per domain k, from the first {@code scanRows} validation rows (rows are consecutive windows of
 * the packed stream, documents separated by EOS, so a token's document is the number of EOS before it):
 * <ol>
 *   <li>an item's row is one holding an EOS-free run of at least minContext + m tokens; rows are taken in a
 *       seeded random order, one item per row, up to {@code items};</li>
 *   <li>the continuation starts at a seeded position p of that run with at least minContext tokens before it; the
 *       context is every token of the run before p (at most T + 1 − m: the row holds T + 1), the truth run[p, p+m);</li>
 *   <li>each distractor is an EOS-free m-token span at a seeded position of a seeded row, from a document other
 *       than the item's, different from the truth and from the other distractors;</li>
 *   <li>the truth's position among the four is seeded too.</li>
 * </ol>
 * Randomness comes from {@code new SplittableRandom(seed)}, split once per domain in order: the same dataset and
 * seed give the same items. A domain with fewer than two documents in its scanned rows has no items (NaN).
 */
public final class Cloze {
    private Cloze() {}

    public static final double CHANCE = 0.25;
    public static final int DEFAULT_ITEMS = 24;
    static final int CANDIDATES = 4;

    /**
     * @param items        items per domain (fewer when the validation rows do not hold that many)
     * @param continuation m, tokens per candidate
     * @param minContext   tokens of context at least
     * @param scanRows     validation rows per domain that items and distractors are drawn from
     */
    public record Config(int items, int continuation, int minContext, int scanRows, long seed) {
        public Config {
            Checks.require(items > 0, "cloze items must be > 0, got %d", items);
            Checks.require(continuation > 0, "cloze continuation must be > 0 tokens, got %d", continuation);
            Checks.require(minContext > 0, "cloze context must be > 0 tokens, got %d", minContext);
            Checks.require(scanRows > 1, "cloze scan rows must be > 1, got %d", scanRows);
        }

        /** Defaults for context T: m = T/8 in [2, 16], context ≥ T/4 (≥ 2), 24 items from the first 4,096 rows. */
        public static Config defaults(int context, long seed) {
            int m = Math.max(2, Math.min(16, context / 8));
            return new Config(DEFAULT_ITEMS, m, Math.max(2, Math.min(context + 1 - m, context / 4)), 4096, seed);
        }
    }

    /** Per-domain accuracy (NaN where a domain has no item), item counts, their mean over scored domains, chance 1/4. */
    public record Result(List<String> domains, double[] accuracy, int[] items, double mean, double chance) {
        public Result {
            domains = List.copyOf(domains);
        }
    }

    /** Builds every domain's items and scores them. */
    public static Result evaluate(
            GradientModel model, List<String> domains, RowSource val, int eosId, Config config, int batch) {
        Checks.require(
                domains.size() == val.domains(),
                "%d domain names for %d validation domains",
                domains.size(),
                val.domains());
        List<List<MultipleChoice.Item>> items = items(val, eosId, config);
        var acc = new double[domains.size()];
        var n = new int[domains.size()];
        double sum = 0;
        int scored = 0;
        for (int k = 0; k < domains.size(); k++) {
            MultipleChoice.Result r = MultipleChoice.evaluate(model, items.get(k), batch);
            acc[k] = r.accuracy();
            n[k] = r.items();
            if (r.items() > 0) {
                sum += acc[k];
                scored++;
            }
        }
        return new Result(domains, acc, n, scored == 0 ? Double.NaN : sum / scored, CHANCE);
    }

    /** The items of every domain (deterministic in the rows, the EOS id and the config). */
    public static List<List<MultipleChoice.Item>> items(RowSource val, int eosId, Config config) {
        var root = new SplittableRandom(config.seed());
        var out = new ArrayList<List<MultipleChoice.Item>>();
        for (int k = 0; k < val.domains(); k++) out.add(domainItems(val, k, eosId, config, root.split()));
        return out;
    }

    /** Scanned rows of one domain with each token's document index (EOS count before it). */
    private record Rows(int[][] tokens, int[][] doc) {}

    private static Rows scan(RowSource val, int k, int eosId, int limit) {
        int n = (int) Math.min(val.rows(k), limit), L = val.rowLength();
        var tokens = new int[n][L];
        var doc = new int[n][L];
        int d = 0;
        for (int r = 0; r < n; r++) {
            val.copyRow(k, r, tokens[r]);
            for (int i = 0; i < L; i++) {
                doc[r][i] = d;
                if (tokens[r][i] == eosId) d++;
            }
        }
        return new Rows(tokens, doc);
    }

    /** Start and end of the EOS-free run of {@code row} that contains position i. */
    private static int[] run(int[] row, int i, int eosId) {
        int a = i, b = i;
        while (a > 0 && row[a - 1] != eosId) a--;
        while (b < row.length && row[b] != eosId) b++;
        return new int[] {a, b};
    }

    /** EOS-free runs [a, b) of a row with at least {@code length} tokens. */
    private static List<int[]> runs(int[] row, int eosId, int length) {
        var out = new ArrayList<int[]>();
        for (int i = 0; i < row.length; ) {
            if (row[i] == eosId) {
                i++;
                continue;
            }
            int[] r = run(row, i, eosId);
            if (r[1] - r[0] >= length) out.add(r);
            i = r[1];
        }
        return out;
    }

    private static List<MultipleChoice.Item> domainItems(
            RowSource val, int k, int eosId, Config c, SplittableRandom rng) {
        Rows rows = scan(val, k, eosId, c.scanRows());
        int n = rows.tokens().length, m = c.continuation(), L = val.rowLength();
        Checks.require(
                c.minContext() + m <= L,
                "cloze context %d + continuation %d exceeds the row's %d tokens",
                c.minContext(),
                m,
                L);
        var spanRuns = new ArrayList<List<int[]>>(); // per row: runs that hold an m-token span
        var spanRows = new ArrayList<Integer>();
        for (int r = 0; r < n; r++) {
            spanRuns.add(runs(rows.tokens()[r], eosId, m));
            if (!spanRuns.get(r).isEmpty()) spanRows.add(r);
        }
        int[] order = shuffled(n, rng);
        var items = new ArrayList<MultipleChoice.Item>();
        for (int r : order) {
            if (items.size() == c.items()) break;
            List<int[]> long_ = runs(rows.tokens()[r], eosId, c.minContext() + m);
            if (long_.isEmpty()) continue;
            int[] run = long_.get(rng.nextInt(long_.size()));
            int p = run[0] + c.minContext() + rng.nextInt(run[1] - m - run[0] - c.minContext() + 1);
            int[] row = rows.tokens()[r];
            int[] truth = Arrays.copyOfRange(row, p, p + m);
            int doc = rows.doc()[r][p];
            var candidates = new ArrayList<int[]>(List.of(truth));
            for (int tries = 0;
                    candidates.size() < CANDIDATES && tries < 64 * CANDIDATES && !spanRows.isEmpty();
                    tries++) {
                int dr = spanRows.get(rng.nextInt(spanRows.size()));
                List<int[]> runs = spanRuns.get(dr);
                int[] dRun = runs.get(rng.nextInt(runs.size()));
                int s = dRun[0] + rng.nextInt(dRun[1] - dRun[0] - m + 1);
                if (rows.doc()[dr][s] == doc) continue;
                int[] span = Arrays.copyOfRange(rows.tokens()[dr], s, s + m);
                if (candidates.stream().noneMatch(x -> Arrays.equals(x, span))) candidates.add(span);
            }
            if (candidates.size() < CANDIDATES) continue; // one document only (or no distinct spans)
            int label = rng.nextInt(CANDIDATES);
            candidates.set(0, candidates.get(label));
            candidates.set(label, truth);
            items.add(new MultipleChoice.Item(Arrays.copyOfRange(row, run[0], p), candidates, label));
        }
        return items;
    }

    /** 0 … n−1 in a seeded random order (Fisher–Yates). */
    private static int[] shuffled(int n, SplittableRandom rng) {
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
