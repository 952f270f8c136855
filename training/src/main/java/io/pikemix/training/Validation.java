package io.pikemix.training;

/**
 * Per-domain validation loss: the mean next-token cross-entropy (nats per token) over a fixed, evenly spaced
 * subset of each domain's rows — rows ⌊i·n/r⌋ for i < r = min(rows, n) — or all of them when rows ≥ n.
 * Forward passes only, {@code batch} rows at a time. Perplexity = exp(loss).
 */
public final class Validation {
    private Validation() {}

    public static double[] losses(GradientModel model, RowSource val, int rowsPerDomain, int batch) {
        int K = val.domains(), T = model.config().context(), L = val.rowLength();
        var out = new double[K];
        for (int k = 0; k < K; k++) {
            long n = val.rows(k);
            int r = (int) Math.min(rowsPerDomain, n);
            double sum = 0;
            for (int start = 0; start < r; start += batch) {
                int size = Math.min(batch, r - start);
                var rows = new int[size][L];
                for (int i = 0; i < size; i++) val.copyRow(k, (start + i) * n / r, rows[i]);
                for (float x : model.tokenLosses(Batch.of(rows, T))) sum += x;
            }
            out[k] = r == 0 ? Double.NaN : sum / ((double) r * T);
        }
        return out;
    }

    public static double mean(double[] losses) {
        double s = 0;
        for (double x : losses) s += x;
        return s / losses.length;
    }

    public static double worst(double[] losses) {
        double w = Double.NEGATIVE_INFINITY;
        for (double x : losses) w = Math.max(w, x);
        return w;
    }
}
